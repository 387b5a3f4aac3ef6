"""The ``Emulator`` facade: an emulated AWS endpoint with the organization and the stack deployed."""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3

from orgops.emulator import iam_policies, runs, seams
from orgops.emulator.lambdas import Router
from orgops.emulator.runs import Execution
from orgops.emulator.stack import Stack, StackSettings, deploy
from orgops.emulator.world import (
    DEMO_ACCOUNTS,
    AccountSpec,
    World,
    build_organization,
    ensure_organization,
    install_member_roles,
    member_role_trusts,
)
from orgops.sessions import DEFAULT_ADMIN_ROLE, DEFAULT_READONLY_ROLE, client, new_session

DEFAULT_REGION = "us-east-1"
STACK_SETS_PRINCIPAL = "member.org.stacksets.cloudformation.amazonaws.com"
# The member roles, by the operation role they serve (modules/member-roles).
MEMBER_ROLE_NAMES = {"readonly": DEFAULT_READONLY_ROLE, "admin": DEFAULT_ADMIN_ROLE}
MOTO_CONFIG: dict[str, Any] = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
    "iam": {"load_aws_managed_policies": False},
}
# Fake credentials of the management account (moto's default account 123456789012).
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _moto_environment() -> None:
    # Before any EC2 backend exists: loading moto's default AMIs costs seconds per account/region.
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


@dataclass
class Emulator:
    """An emulated AWS endpoint with the organization and the orgops stack deployed."""

    region: str
    router: Router
    stack: Stack
    endpoint: str | None = None  # None in-process (mock_aws)
    world: World | None = None
    _counter: int = field(default=0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    @contextlib.contextmanager
    def in_process(
        cls,
        region: str = DEFAULT_REGION,
        operations: Iterable[str] | None = None,
        settings: StackSettings | None = None,
    ) -> Iterator[Emulator]:
        """Everything inside ``mock_aws``: fast, for tests and the demo."""
        from moto import mock_aws

        _moto_environment()
        router = seams.install(Router())
        try:
            with mock_aws(config=MOTO_CONFIG):  # type: ignore[arg-type]
                yield cls._deploy(region, router, operations, settings, endpoint=None)
        finally:
            seams.uninstall(router)

    @classmethod
    @contextlib.contextmanager
    def serve(
        cls,
        port: int = 0,
        region: str = DEFAULT_REGION,
        host: str = "127.0.0.1",
        operations: Iterable[str] | None = None,
        settings: StackSettings | None = None,
        control_endpoints: bool = False,
    ) -> Iterator[Emulator]:
        """A moto server on ``host:port`` (0: a free port). Sets ``AWS_ENDPOINT_URL`` and
        ``MOTO_PORT`` for this process while it serves: the handlers' sessions (created by the
        handlers themselves, as in Lambda) reach the server through them.

        The port is bound first: one out of range or in use raises ``server.UsageError`` at once,
        before moto is patched or anything deployed. moto's control endpoints (``/moto-api/``:
        reset, seed, ...) answer 404 unless ``control_endpoints``; a JSON-protocol body that is not
        a JSON object gets AWS's ``SerializationException`` (``server.wsgi_app``)."""
        from moto.core.config import default_user_config

        from orgops.emulator import server as http_server

        _moto_environment()
        httpd = http_server.make_server(host, port, control_endpoints=control_endpoints)
        thread = threading.Thread(target=httpd.serve_forever, name="orgops-emulator-http", daemon=True)
        saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "MOTO_PORT")}
        router: Router | None = None
        try:
            router = seams.install(Router())
            for service, values in MOTO_CONFIG.items():
                default_user_config.setdefault(service, {}).update(values)  # type: ignore[misc]
            thread.start()
            endpoint = http_server.endpoint_of(httpd)
            os.environ["AWS_ENDPOINT_URL"] = endpoint
            os.environ["MOTO_PORT"] = str(httpd.server_address[1])
            yield cls._deploy(region, router, operations, settings, endpoint=endpoint)
        finally:
            if router is not None:
                seams.uninstall(router)
            http_server.stop_server(httpd, thread)
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    @classmethod
    def _deploy(
        cls,
        region: str,
        router: Router,
        operations: Iterable[str] | None,
        settings: StackSettings | None,
        endpoint: str | None,
    ) -> Emulator:
        session = new_session(region, **CREDENTIALS)
        ensure_organization(session)
        # README "Deploying", step 1: trusted access for StackSets, which the member roles' StackSet needs
        # (not for Account Management: the emulator does not check it, see "Known differences").
        client(session, "organizations", "us-east-1").enable_aws_service_access(ServicePrincipal=STACK_SETS_PRINCIPAL)
        stack = deploy(session, region, operations, settings)
        # modules/member-roles: the StackSet (automatic deployment: accounts created from now on
        # get the roles) and the roles in the management account itself.
        seams.set_stack_set_roles(member_role_trusts(stack))
        install_member_roles(session, stack)
        # modules/operation-manifest: each member role allows exactly its deployed operations' actions.
        iam_policies.set_member_policies(iam_policies.derived(stack.state_machines, MEMBER_ROLE_NAMES))
        return cls(region=region, router=router, stack=stack, endpoint=endpoint)

    # -- the world -------------------------------------------------------------------------------
    def session(self, region: str | None = None) -> boto3.Session:
        """A new session as the management account (sessions are not shared between threads)."""
        return new_session(region or self.region, **CREDENTIALS)

    def build_organization(self, specs: Iterable[AccountSpec] = DEMO_ACCOUNTS) -> World:
        # Building the world is not a run: AWS's request rates (limits.py) apply to what the
        # deployed functions and the operator do afterwards, not to the emulator's own setup.
        rates, self.router.limits.request_rates = self.router.limits.request_rates, {}
        try:
            self.world = build_organization(self.session(), specs)
        finally:
            self.router.limits.request_rates = rates
        return self.world

    # -- executions ------------------------------------------------------------------------------
    def _name(self, operation: str) -> str:
        with self._lock:
            self._counter += 1
            return f"{operation}-{self._counter}-{uuid.uuid4().hex[:8]}"[:80]

    def deploy_stack(self, settings: StackSettings, operations: Iterable[str] | None = None) -> Stack:
        """Deploy another operator stack (another ``name_prefix``) beside the first, e.g. with other
        Map settings; the member roles trust the same worker roles, so it reaches the same accounts."""
        stack = deploy(self.session(), self.region, operations, settings)
        # The member roles now serve this stack's operations too: their policies grow by its actions.
        added = iam_policies.derived(stack.state_machines, MEMBER_ROLE_NAMES)
        current = iam_policies.member_policies()
        iam_policies.set_member_policies({r: {*current.get(r, ()), *a} for r, a in added.items()})
        return stack

    def start(
        self,
        operation: str,
        execution_input: Mapping[str, Any],
        name: str | None = None,
        stack: Stack | None = None,
    ) -> str:
        arn = (stack or self.stack).state_machines[operation]
        return runs.start(self.session(), arn, execution_input, name or self._name(operation))

    def wait(self, execution_arn: str, timeout: float = 600.0, **kwargs: Any) -> Execution:
        return runs.wait(self.session(), execution_arn, timeout, **kwargs)

    def run(
        self,
        operation: str,
        execution_input: Mapping[str, Any] | None = None,
        timeout: float = 600.0,
        stack: Stack | None = None,
        **kw: Any,
    ) -> Execution:
        """Start an execution of the operation's state machine and wait for it to end."""
        return self.wait(self.start(operation, execution_input or {}, stack=stack), timeout, **kw)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        return runs.history(self.session(), execution_arn)

    def read_object(self, uri: str) -> bytes:
        return runs.read_object(self.session(), uri)

    def read_csv(self, uri: str) -> list[dict[str, str]]:
        return runs.read_csv(self.session(), uri)

    def describe(self) -> dict[str, Any]:
        """The JSON line ``orgops emulator`` prints."""
        return {"endpoint": self.endpoint, **self.stack.describe()}
