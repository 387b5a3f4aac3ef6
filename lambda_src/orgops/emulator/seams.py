"""Every moto internal the emulator replaces or calls, in one place, with a guard.

moto is pinned exactly (``pyproject.toml``). ``check()`` compares each seam's signature with the
one this module was written against and raises ``SeamChanged`` naming the seam, the expected and
the found signature, and what to do; ``install()`` runs it first, so a moto upgrade that moves a
seam fails loudly instead of silently running state machines against moto's default Lambda
("happy path OK") or a lax STS.

Seams:
- ``LambdaSimpleBackend.invoke``: replaced; routes invocations to our handlers (``lambdas``).
- ``TokenResponse.assume_role``: wrapped; AWS's AssumeRole checks (``access``).
- ``OrganizationsBackend.create_account``: wrapped; creates ``OrganizationAccountAccessRole``.
- ``STSBackend.assume_role``, ``STSBackend.get_caller_identity``, ``IAMBackend.create_role``,
  ``IAMBackend.get_role_by_arn``, ``OrganizationsBackend.get_account_by_id``: called.
- ``SecurityHubBackend.enable_security_hub`` wrapped, and standards APIs added (``securityhub``).
- ``Inspector2Backend.enable`` / ``batch_get_account_status`` default ``accountIds`` to the caller (``inspector2``).
- ``AccountResponse.list_regions`` added, on ``AccountBackend``'s per-account state (``account``).
- ``StepFunctionsParserBackend._validate_definition`` wrapped: AWS's definition checks (``definitions``).
- ``AmazonStateLanguageParser.parse`` wrapped: reads an integer ToleratedFailurePercentage as AWS does.
- ``StepFunctionsParserBackend.start_execution`` wrapped: an unnamed execution gets a UUID name.
- ``BaseResponse.call_action`` wrapped: a call into a region the account has not enabled gets AWS's
  answer (``account.region_refusal``); a member role's call its policy does not allow gets AWS's
  access denial (``iam_policies``).
- ``StepFunctionBackend._validate_name`` wrapped and called by ``start_execution``: AWS's name rules
  (``name_refused``) for CreateStateMachine and StartExecution.
- AWS's limits (``limits``): ``BaseResponse.call_action`` wrapped once more (request rates, and
  PutFunctionConcurrency's 100 unreserved); ``DistributedItemProcessorWorker._eval_job`` wrapped
  (an EXPRESS child past 5 minutes, scaled, fails with States.Timeout: moto's own
  ``EvalTimeoutError`` branch counts it); ``DistributedIterationComponent._map_run`` wrapped
  (ToleratedFailurePercentage evaluated); ``LambdaBackend.list_functions`` called (the
  reservations); Lambda concurrency is counted in the router's ``invoke``.
- ``DomainDispatcherApplication``, ``create_backend_app``, ``MotoRequestHandler``: moto's server app,
  built by ``server.make_server`` behind the emulator's guards.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from orgops.emulator import (
    access,
    account,
    awslambda,
    definitions,
    iam_policies,
    inspector2,
    lambdas,
    limits,
    securityhub,
    speed,
)

MOTO_VERSION = "5.2.5"
BOTOCORE_VERSION = "1.44.8"
ORG_ACCESS_ROLE = "OrganizationAccountAccessRole"


class SeamChanged(RuntimeError):
    pass


@dataclass(frozen=True)
class Seam:
    path: str  # module:qualname
    signature: str
    why: str

    def resolve(self) -> Any:
        module, _, qualname = self.path.partition(":")
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        while hasattr(obj, "orgops_wrapped"):  # moto's own, under every layer the emulator added
            obj = obj.orgops_wrapped
        return obj


SEAMS = (
    Seam(
        "moto.awslambda_simple.models:LambdaSimpleBackend.invoke",
        "(self, function_name, qualifier, body, headers, response_headers)",
        "replaced to route Lambda invocations to the orgops handlers",
    ),
    Seam(
        "moto.awslambda.models:LambdaBackend.get_function",
        "(self, function_name_or_arn, qualifier=None)",
        "called by the router to read the function's Handler, Role and Environment",
    ),
    Seam(
        "moto.sts.responses:TokenResponse.assume_role",
        "(self)",
        "wrapped to refuse AssumeRole as AWS does (missing role, untrusted caller, suspended account)",
    ),
    Seam("moto.core.responses:BaseResponse.get_access_key", "(self)", "called to find the AssumeRole caller"),
    Seam(
        "moto.sts.models:STSBackend.get_caller_identity",
        "(self, access_key_id, region)",
        "called to find the AssumeRole and ListRegions caller",
    ),
    Seam(
        "moto.sts.models:STSBackend.assume_role",
        "(self, region_name, role_session_name, role_arn, policy, duration, external_id)",
        "called to mint a function's execution-role credentials",
    ),
    Seam(
        "moto.iam.models:IAMBackend.create_role",
        "(self, role_name, assume_role_policy_document, path, permissions_boundary, description, tags,"
        " max_session_duration, linked_service=None)",
        "called to create OrganizationAccountAccessRole in new accounts",
    ),
    Seam("moto.iam.models:IAMBackend.get_role_by_arn", "(self, arn)", "called to check that an assumed role exists"),
    Seam(
        "moto.awslambda.models:LambdaBackend.get_function_url_config",
        "(self, name_or_arn)",
        "called by the emulated ListFunctionUrlConfigs",
    ),
    Seam("moto.awslambda.exceptions:GenericResourcNotFound", "()", "caught by the emulated ListFunctionUrlConfigs"),
    Seam(
        "moto.organizations.models:OrganizationsBackend.create_account",
        "(self, **kwargs)",
        "wrapped to create OrganizationAccountAccessRole in the new account",
    ),
    Seam(
        "moto.organizations.models:OrganizationsBackend.get_account_by_id",
        "(self, account_id)",
        "called to refuse AssumeRole into a suspended account",
    ),
    Seam(
        "moto.securityhub.models:SecurityHubBackend.enable_security_hub",
        "(self, enable_default_standards=True, tags=None)",
        "wrapped to subscribe the default standards",
    ),
    Seam(
        "moto.inspector2.models:Inspector2Backend.enable",
        "(self, account_ids, resource_types)",
        "wrapped to enable the caller's own account when accountIds is omitted, as AWS does",
    ),
    Seam(
        "moto.inspector2.models:Inspector2Backend.batch_get_account_status",
        "(self, account_ids)",
        "wrapped to read the caller's own account when accountIds is omitted, as AWS does",
    ),
    Seam(
        "moto.account.models:AccountBackend.__init__",
        "(self, region_name, account_id)",
        "its per-account instance holds the regions the emulated ListRegions says were opted into",
    ),
    Seam(
        "moto.core.responses:BaseResponse.call_action",
        "(self)",
        "wrapped to refuse calls into a region the caller's account has not enabled, as AWS does",
    ),
    Seam("moto.core.responses:BaseResponse.serialized", "(self, action_result)", "called to answer AWS's error"),
    Seam(
        "moto.stepfunctions.parser.models:StepFunctionsParserBackend.start_execution",
        "(self, state_machine_arn, name=None, execution_input=None, trace_header=None)",
        "wrapped to name an unnamed execution with a UUID, as AWS does (moto names it None)",
    ),
    Seam(
        "moto.stepfunctions.parser.models:StepFunctionsParserBackend._validate_definition",
        "(definition)",
        "wrapped to refuse, as AWS does, definitions moto accepts (duplicate state names, missing targets)",
    ),
    Seam(
        "moto.stepfunctions.parser.asl.utils.boto_client:boto_client_for",
        "(region, service, state_credentials=None)",
        "wrapped to reuse one client per region and service (speed)",
    ),
    Seam(
        "moto.stepfunctions.parser.asl.utils.json_path:parse",
        "(path, debug=None)",
        "memoised (speed)",
    ),
    Seam(
        "moto.stepfunctions.parser.asl.component.common.path.result_path:parse",
        "(string)",
        "memoised (speed)",
    ),
    Seam(
        "botocore.client:ClientCreator._create_client_class",
        "(self, service_name, service_model)",
        "memoised per service for orgops sessions (speed)",
    ),
    Seam(
        "botocore.client:ClientCreator._load_service_model",
        "(self, service_name, api_version=None)",
        "memoised per service for orgops sessions (speed)",
    ),
    Seam("botocore.hooks:accepts_kwargs", "(func)", "memoised per function (speed)"),
    Seam(
        "boto3.session:Session.client",
        "(self, service_name, region_name=None, api_version=None, use_ssl=True, verify=None, endpoint_url=None,"
        " aws_access_key_id=None, aws_secret_access_key=None, aws_session_token=None, config=None,"
        " aws_account_id=None)",
        "cached per session while an emulator is active (speed)",
    ),
    Seam(
        "moto.core.base_backend:BackendDict._create_account_specific_backend",
        "(self, account_id)",
        "returns at once for a known account (speed)",
    ),
    Seam(
        "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor"
        ".inline_item_processor_worker:InlineItemProcessorWorker._eval_input",
        "(self, env_frame)",
        "wrapped to drop the Map input from the iteration's stack (speed)",
    ),
    Seam("moto.core.serialize:AttributePicker.__call__", "(self, context)", "memoised for plain dicts (speed)"),
    Seam(
        "moto.stepfunctions.parser.asl.parse.asl_parser:AmazonStateLanguageParser.parse",
        "(definition)",
        "parse tree memoised per definition (speed); integer ToleratedFailurePercentage read as AWS does",
    ),
    Seam("moto.core.base_backend:BackendDict.reset", "()", "counted: a reset empties the registry (speed)"),
    Seam("moto.iam.models:get_account_id_from", "(access_key)", "indexed by access key (speed)"),
    Seam(
        "moto.iam.models:IAMBackend.create_access_key",
        "(self, user_name, prefix='AKIA', status='Active')",
        "counted: a new key may answer a lookup that found nothing (speed)",
    ),
    Seam(
        "moto.iam.models:IAMBackend.create_temp_access_key",
        "(self)",
        "counted: a new key may answer a lookup that found nothing (speed)",
    ),
    Seam("moto.core.responses:method_names_from_class", "(clazz)", "memoised per class (speed)"),
    Seam("moto.core.utils:get_service_model", "(service_name)", "made single-flight (speed)"),
    Seam("moto.core.utils:get_pagination_model", "(service_name)", "made single-flight (speed)"),
    Seam("moto.core.routing:get_service_router", "(service_name)", "made single-flight (speed)"),
    Seam("moto.core.responses:get_service_router", "(service_name)", "made single-flight (speed)"),
    Seam("moto.core.responses:get_service_model", "(service_name)", "made single-flight (speed)"),
    Seam("moto.core.responses:get_pagination_model", "(service_name)", "made single-flight (speed)"),
    Seam(
        "moto.core.routing:ServiceOperationRouter._get_router",
        "(self, protocol)",
        "made single-flight (speed)",
    ),
    Seam(
        "botocore.hooks:EventAliaser.__init__",
        "(self, event_emitter, event_aliases=None)",
        "wrapped to share the alias cache between sessions (speed)",
    ),
    Seam(
        "botocore.regions:EndpointProvider",
        "(ruleset_data, partition_data, excluded_params=None)",
        "replaced by a cache of providers per rule set (speed)",
    ),
    *(
        Seam(path, expected, "patched so a stopped execution ends ABORTED as on AWS (lambdas.install_stop_seams)")
        for path, expected in lambdas.STOP_SEAMS
    ),
    Seam(
        "moto.stepfunctions.models:StepFunctionBackend._validate_name",
        "(self, name)",
        "wrapped to apply AWS's name rules (1-80 characters, no whitespace or special characters) and called"
        " by StartExecution, which moto's parser backend does not validate",
    ),
    Seam(
        "moto.stepfunctions.exceptions:InvalidName",
        "(message, exception_type=None, status=None)",
        "raised to refuse a name as AWS does (InvalidName, 400)",
    ),
    Seam(
        "moto.awslambda.models:LambdaBackend.list_functions",
        "(self, func_version=None)",
        "called to sum the account's reserved concurrency (limits: unreserved concurrency, PutFunctionConcurrency)",
    ),
    Seam(
        "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor"
        ".distributed_item_processor_worker:DistributedItemProcessorWorker._eval_job",
        "(self, env, job)",
        "wrapped so that a child whose definition asked for EXPRESS fails with States.Timeout past 5 minutes"
        " (scaled; limits.wrap_eval_job)",
    ),
    Seam(
        "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component"
        ":DistributedIterationComponent._map_run",
        "(self, env, eval_input)",
        "wrapped to fail the Map Run beyond ToleratedFailurePercentage (limits.wrap_map_run)",
    ),
    Seam(
        "moto.stepfunctions.parser.asl.eval.environment:Environment.set_timed_out",
        "(self)",
        "called to stop a child that ran past Express's limit (limits.ExpressChild)",
    ),
    Seam(
        "moto.stepfunctions.parser.asl.component.common.error_name.failure_event:FailureEvent",
        "(env, error_name, event_type, event_details=None)",
        "raised (in a FailureEventException) for States.ExceedToleratedFailureThreshold",
    ),
    Seam(
        "moto.moto_server.werkzeug_app:DomainDispatcherApplication",
        "(create_app)",
        "built by server.wsgi_app (as ThreadedMotoServer does) behind the JSON-body guard",
    ),
    Seam(
        "moto.moto_server.werkzeug_app:create_backend_app",
        "(service)",
        "called per backend by server.backend_apps, which answers 404 for the control API instead",
    ),
    Seam(
        "moto.moto_server.werkzeug_app:MotoRequestHandler",
        "(request, client_address, server)",
        "the request handler server.make_server gives werkzeug, as ThreadedMotoServer does",
    ),
)


def signature(obj: Any) -> str:
    """Parameter names, kinds and defaults, without annotations (some moto modules stringify them)."""
    return str(
        inspect.signature(obj).replace(
            return_annotation=inspect.Signature.empty,
            parameters=[
                p.replace(annotation=inspect.Parameter.empty) for p in inspect.signature(obj).parameters.values()
            ],
        )
    )


def check() -> None:
    """Raise ``SeamChanged`` if the installed moto is not the one the emulator was written for."""
    import botocore
    import moto

    problems = []
    for seam in SEAMS:
        try:
            found = signature(seam.resolve())
        except (ImportError, AttributeError) as exc:
            found = f"missing ({exc})"
        if found != seam.signature:
            problems.append(f"- {seam.path}\n    expected {seam.signature}\n    found    {found}\n    used: {seam.why}")
    for name in ("url_paths",):
        if not hasattr(importlib.import_module("moto.securityhub.urls"), name):
            problems.append(
                "- moto.securityhub.urls:url_paths is gone (the emulator adds Security Hub standards there)"
            )
        if not hasattr(importlib.import_module("moto.account.urls"), name):
            problems.append("- moto.account.urls:url_paths is gone (the emulator adds ListRegions there)")
    if problems:
        raise SeamChanged(
            f"moto {moto.__version__} / botocore {botocore.__version__} changed internals the orgops emulator "
            f"relies on (written for moto {MOTO_VERSION} and botocore {BOTOCORE_VERSION}, pinned in pyproject.toml):\n"
            + "\n".join(problems)
            + "\nUpdate "
            "lambda_src/orgops/emulator/seams.py (and the code it names) for the new moto before changing the pin."
        )


# -- strict AssumeRole ------------------------------------------------------------------------------
def _account_suspended(account_id: str) -> bool:
    from moto.organizations.models import organizations_backends

    master = organizations_backends.master_accounts.get(account_id)
    if master is None:
        return False
    try:
        account = organizations_backends[master[0]][master[1]].get_account_by_id(account_id)
    except Exception:  # the account left the organization
        return False
    return str(getattr(account, "status", "ACTIVE")) == "SUSPENDED"


def refusal(role_arn: str, caller: access.Caller) -> str | None:
    """Why AWS would refuse ``caller`` assuming ``role_arn``, or None when it is allowed."""
    from moto.iam.models import iam_backends

    account = access.role_account(role_arn)
    if account is None:
        return None  # malformed ARNs get moto's own validation
    if _account_suspended(account):
        return access.denial_message(caller, role_arn)
    try:
        role = iam_backends[account]["aws"].get_role_by_arn(role_arn)
    except Exception:
        return access.denial_message(caller, role_arn)
    if not access.trusts(role.assume_role_policy_document, caller):
        return access.denial_message(caller, role_arn)
    return None


def _strict_assume_role(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def assume_role(self: Any) -> Any:
        from moto.sts.exceptions import STSClientError

        if lambdas.active() is None:  # no emulator running in this process: moto as it is
            return original(self)
        role_arn = self._get_param("RoleArn") or ""
        _user_id, arn, account = self.backend.get_caller_identity(self.get_access_key(), self.region)
        reason = refusal(role_arn, access.parse_caller(arn, account))
        if reason is not None:
            err = STSClientError("AccessDenied", reason)
            raise err
        return original(self)

    assume_role.orgops_wrapped = original  # type: ignore[attr-defined]
    return assume_role


# -- OrganizationAccountAccessRole -------------------------------------------------------------------
def create_org_access_role(account_id: str, management_account_id: str) -> None:
    """The role Organizations creates in every account it creates, trusted by the management account."""
    trust = access.trust_policy(f"arn:aws:iam::{management_account_id}:root")
    create_roles(account_id, {ORG_ACCESS_ROLE: trust}, "Created by AWS Organizations (emulated)")


# The member roles the StackSet deploys (name -> trust policy), set when a stack is deployed.
# The StackSet has automatic deployment on: every account created afterwards gets them too.
_stack_set_roles: dict[str, str] = {}


def set_stack_set_roles(roles: dict[str, str]) -> None:
    """Emulate the member-roles StackSet (auto-deployment): ``roles`` maps role name to trust policy."""
    _stack_set_roles.clear()
    _stack_set_roles.update(roles)


def stack_set_roles() -> dict[str, str]:
    return dict(_stack_set_roles)


def create_roles(account_id: str, roles: dict[str, str], description: str) -> None:
    from moto.iam.models import iam_backends

    iam = iam_backends[account_id]["aws"]
    existing = {r.name for r in iam.get_roles()}
    for name, trust in roles.items():
        if name in existing:
            continue
        iam.create_role(
            role_name=name,
            assume_role_policy_document=trust,
            path="/",
            permissions_boundary=None,
            description=description,
            tags=[],
            max_session_duration=None,
        )


def _create_account_with_role(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create_account(self: Any, **kwargs: Any) -> dict[str, Any]:
        status = original(self, **kwargs)
        if lambdas.active() is None:
            return status
        account_id = status["CreateAccountStatus"]["AccountId"]
        create_org_access_role(account_id, self.account_id)
        create_roles(account_id, stack_set_roles(), "orgops member role (emulated StackSet instance)")
        return status

    create_account.orgops_wrapped = original  # type: ignore[attr-defined]
    return create_account


# -- AWS's name rules (Step Functions) -------------------------------------------------------------
MAX_NAME = 80
# AWS (CreateStateMachine, StartExecution): a name must not contain whitespace, brackets < > { } [ ],
# wildcard characters ? *, special characters " # % \ ^ | ~ ` $ & , ; : /, or control characters.
FORBIDDEN_NAME_CHARACTERS = frozenset('<>{}[]?*"#%\\^|~`$&,;:/')


def _control_character(c: str) -> bool:
    return "\u0000" <= c <= "\u001f" or "\u007f" <= c <= "\u009f"


def name_refused(name: str) -> bool:
    """Whether AWS refuses ``name`` for a state machine or an execution (``InvalidName``)."""
    return not 1 <= len(name) <= MAX_NAME or any(
        c.isspace() or c in FORBIDDEN_NAME_CHARACTERS or _control_character(c) for c in name
    )


def _aws_validate_name(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto checks the characters but answers a long name with ValidationException, and misses
    whitespace other than a space; AWS answers ``InvalidName: Invalid Name: 'NAME'`` to both."""

    @functools.wraps(original)
    def validate_name(self: Any, name: str) -> None:
        if lambdas.active() is None:
            return original(self, name)
        if name_refused(name):
            from moto.stepfunctions.exceptions import InvalidName

            raise InvalidName(f"Invalid Name: '{name}'")
        return None

    validate_name.orgops_wrapped = original  # type: ignore[attr-defined]
    return validate_name


def _named_start_execution(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto's parser backend starts an execution under any name; AWS checks it as CreateStateMachine does."""

    @functools.wraps(original)
    def start_execution(self: Any, state_machine_arn: str, name: Any = None, *args: Any, **kwargs: Any) -> Any:
        if name is not None and lambdas.active() is not None:
            self._validate_name(name)
        return original(self, state_machine_arn, name, *args, **kwargs)

    start_execution.orgops_wrapped = original  # type: ignore[attr-defined]
    return start_execution


# -- install ---------------------------------------------------------------------------------------
def install_list_regions() -> None:
    """Add Account Management's ListRegions to moto (idempotent): the fanout calls it, moto lacks it.

    Part of ``install``; the tests call it alone to run the fanout against plain moto.
    """
    from moto.account import urls as account_urls
    from moto.account.responses import AccountResponse

    AccountResponse.list_regions = account.list_regions  # type: ignore[attr-defined]
    account_urls.url_paths[account.URL_PATH] = AccountResponse.dispatch


_installed = False
_install_lock = threading.Lock()


def install(router: lambdas.Router | None = None) -> lambdas.Router:
    """Check the seams, patch moto (once per process) and make ``router`` receive invocations."""
    global _installed
    with _install_lock:
        if not _installed:
            check()
            from moto.awslambda_simple.models import LambdaSimpleBackend
            from moto.organizations.models import OrganizationsBackend
            from moto.securityhub import urls as securityhub_urls
            from moto.securityhub.models import SecurityHubBackend
            from moto.securityhub.responses import SecurityHubResponse
            from moto.sts.responses import TokenResponse

            lambdas.invoke.orgops_wrapped = LambdaSimpleBackend.invoke  # type: ignore[attr-defined]
            LambdaSimpleBackend.invoke = lambdas.invoke  # type: ignore[method-assign]
            TokenResponse.assume_role = _strict_assume_role(TokenResponse.assume_role)  # type: ignore[method-assign]
            OrganizationsBackend.create_account = _create_account_with_role(  # type: ignore[method-assign]
                OrganizationsBackend.create_account
            )
            SecurityHubBackend.enable_security_hub = securityhub.wrap_enable_security_hub(  # type: ignore[method-assign]
                SecurityHubBackend.enable_security_hub
            )
            from moto.inspector2.models import Inspector2Backend

            Inspector2Backend.enable = inspector2.wrap_enable(Inspector2Backend.enable)  # type: ignore[method-assign]
            Inspector2Backend.batch_get_account_status = inspector2.wrap_batch_get_account_status(  # type: ignore[method-assign]
                Inspector2Backend.batch_get_account_status
            )
            for name, method in securityhub.RESPONSE_METHODS.items():
                setattr(SecurityHubResponse, name, method)
            from moto.awslambda import urls as lambda_urls
            from moto.awslambda.responses import LambdaResponse

            LambdaResponse.list_function_url_configs = awslambda.list_function_url_configs  # type: ignore[attr-defined]
            lambda_urls.url_paths[awslambda.URL_PATH] = LambdaResponse.dispatch
            for path in securityhub.URL_PATHS:
                securityhub_urls.url_paths[path] = SecurityHubResponse.dispatch
            install_list_regions()
            from moto.core.responses import BaseResponse

            BaseResponse.call_action = account.wrap_call_action(BaseResponse.call_action)  # type: ignore[method-assign]
            BaseResponse.call_action = iam_policies.wrap_call_action(BaseResponse.call_action)  # type: ignore[method-assign]
            BaseResponse.call_action = limits.wrap_call_action(BaseResponse.call_action)  # type: ignore[method-assign]
            from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
                distributed_iteration_component,
            )
            from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor import (
                distributed_item_processor_worker,
            )

            worker_class = distributed_item_processor_worker.DistributedItemProcessorWorker
            worker_class._eval_job = limits.wrap_eval_job(worker_class._eval_job)  # type: ignore[method-assign]
            component = distributed_iteration_component.DistributedIterationComponent
            component._map_run = limits.wrap_map_run(component._map_run)  # type: ignore[method-assign]
            from moto.stepfunctions.parser.models import StepFunctionsParserBackend

            StepFunctionsParserBackend._validate_definition = staticmethod(  # type: ignore[method-assign]
                definitions.wrap_validate_definition(StepFunctionsParserBackend._validate_definition)
            )
            StepFunctionsParserBackend.start_execution = definitions.wrap_start_execution(  # type: ignore[method-assign]
                StepFunctionsParserBackend.start_execution
            )
            StepFunctionsParserBackend.start_execution = _named_start_execution(  # type: ignore[method-assign]
                StepFunctionsParserBackend.start_execution
            )
            from moto.stepfunctions.models import StepFunctionBackend

            StepFunctionBackend._validate_name = _aws_validate_name(  # type: ignore[method-assign]
                StepFunctionBackend._validate_name
            )
            errors_module = importlib.import_module("moto.core.errors")
            generic = (account.JSON_REFUSAL[0], account.QUERY_REFUSAL[0], *iam_policies.DENIAL_CODES)
            for code in ("AccessDenied", *generic):
                # AWS's generic errors are in no service model: keep moto from warning on them.
                if code not in errors_module.COMMON_ERROR_CODES:
                    errors_module.COMMON_ERROR_CODES.append(code)
            speed.install()
            from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

            AmazonStateLanguageParser.parse = staticmethod(  # type: ignore[method-assign]
                definitions.wrap_parse(AmazonStateLanguageParser.parse)
            )
            _installed = True
        return lambdas.activate(router or lambdas.Router())


def uninstall(router: lambdas.Router) -> None:
    """Deactivate the emulator's behaviour (the patches stay, inert): Lambda invocations, AssumeRole
    and CreateAccount are moto's own again, for whatever else runs in this process."""
    lambdas.deactivate(router)
    set_stack_set_roles({})
    iam_policies.set_member_policies({})
    limits.reset()
