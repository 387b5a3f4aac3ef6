"""`orgops local` at high concurrency: each service model parsed once, however many threads.

botocore's loader caches what it parses, without a lock: threads creating their first client of a
service at once each parsed EC2's model again (39 threads of ``orgops local``: 12 to 34 parses,
5 to 14 CPU-s, instead of one). ``orgops.sessions.SharedLoader`` makes the loads single-flight,
and ``orgops local`` creates one client of each service the operation needs (from its declared
IAM actions) before its pool starts, in the sessions whose loader is botocore's own.
"""

from __future__ import annotations

import collections
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws

from orgops import operations, sessions
from orgops.cli import local

MANAGEMENT = "123456789012"
MEMBERS = 12  # and the management account: 13 accounts x 3 regions = 39 targets, one per thread
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
THREADS = 39
MODEL = re.compile(r"botocore/data/(?P<service>[^/]+)/[^/]+/(?P<kind>[^/.]+)$")


class Parses:
    """Model files each loader parsed, as ``{loader: {"service/kind": count}}``."""

    def __init__(self) -> None:
        self.counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        self._lock = threading.Lock()

    def watch(self, monkeypatch: pytest.MonkeyPatch, name: str, loader: botocore.loaders.Loader) -> None:
        real: Callable[[str], Any] = loader.file_loader.load_file

        def load_file(path: str) -> Any:
            found = real(path)
            match = MODEL.search(path)
            if found is not None and match:
                with self._lock:
                    self.counts[name][f"{match['service']}/{match['kind']}"] += 1
            return found

        monkeypatch.setattr(loader.file_loader, "load_file", load_file)


def caller_session(loader: botocore.loaders.Loader) -> boto3.Session:
    """The operator's session, with a loader of botocore's own (as ``boto3.Session()`` has)."""
    core = botocore.session.get_session()
    core.register_component("data_loader", loader)
    return boto3.Session(botocore_session=core, region_name="us-east-1")


@pytest.fixture
def org_of_13() -> Iterator[None]:
    """The management account and 12 members, in moto; a volume to find in the management account."""
    with mock_aws():
        org = boto3.client("organizations", region_name="us-east-1")
        org.create_organization(FeatureSet="ALL")
        ids = iter(f"{n:012d}" for n in range(100000000001, 100000000001 + MEMBERS))
        with mock.patch("moto.organizations.utils.make_random_account_id", lambda: next(ids)):
            for n in range(MEMBERS):
                org.create_account(AccountName=f"member-{n}", Email=f"member-{n}@example.com")
        boto3.client("ec2", region_name="eu-west-1").create_volume(Size=7, AvailabilityZone="eu-west-1b")
        yield


def test_39_threads_parse_each_model_once_per_loader(
    org_of_13: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shared = sessions.SharedLoader()  # a fresh one: models other tests loaded would hide the parses
    monkeypatch.setattr(sessions, "_LOADER", shared)
    own = botocore.loaders.Loader()
    parses = Parses()
    parses.watch(monkeypatch, "member sessions", shared)
    parses.watch(monkeypatch, "caller", own)

    run = local.run_local(
        "unused-ebs-volumes",
        {"Regions": list(REGIONS)},
        caller_session(own),
        tmp_path / "out",
        tmp_path / "work",
        "models-39",
        concurrency=THREADS,
        role_name="OrganizationAccountAccessRole",
    )

    assert (run.summary["Targets"], run.summary["Succeeded"], run.summary["Rows"]) == (THREADS, THREADS, 1)
    assert dict(parses.counts) == {
        # every member session (36 targets, 12 accounts) shares one loader: EC2 parsed once
        "member sessions": {"ec2/service-2": 1, "ec2/endpoint-rule-set-1": 1, "ec2/paginators-1": 1},
        # the caller's own: the organization, STS for the 12 AssumeRoles, and EC2 for the
        # management account's 3 targets, which run with the caller's credentials
        "caller": {
            "organizations/service-2": 1,
            "organizations/endpoint-rule-set-1": 1,
            "organizations/paginators-1": 1,
            "sts/service-2": 1,
            "sts/endpoint-rule-set-1": 1,
            "sts/paginators-1": 1,
            "ec2/service-2": 1,
            "ec2/endpoint-rule-set-1": 1,
            "ec2/paginators-1": 1,
        },
    }


class SlowFiles(botocore.loaders.JSONFileLoader):
    """Parses EC2's service model slowly enough that every thread asks for it before it is cached."""

    def __init__(self) -> None:
        self.parsed = 0
        self._lock = threading.Lock()

    def load_file(self, file_path: str) -> Any:
        found = super().load_file(file_path)
        if found is not None and file_path.endswith("ec2/2016-11-15/service-2"):
            with self._lock:
                self.parsed += 1
            threading.Event().wait(0.3)
        return found


def first_clients_at_once(loader: botocore.loaders.Loader, threads: int = THREADS) -> None:
    """``threads`` threads, each loading EC2's model at the same moment (a barrier), as each
    thread's first ``session.client("ec2")`` does."""
    barrier = threading.Barrier(threads)

    def first_client() -> None:
        barrier.wait()
        loader.load_service_model("ec2", "service-2")

    pool = [threading.Thread(target=first_client) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()


def test_botocores_loader_parses_again_for_each_thread_that_misses_its_cache_at_once() -> None:
    files = SlowFiles()
    first_clients_at_once(botocore.loaders.Loader(file_loader=files))
    assert files.parsed > 1  # the bug SharedLoader fixes (all 39 here, with the slow parse)


def test_the_shared_loader_parses_once_for_39_threads_at_once() -> None:
    loader = sessions.SharedLoader()
    files = SlowFiles()
    loader.file_loader = files
    first_clients_at_once(loader)
    assert files.parsed == 1


def test_the_shared_loader_keeps_each_search_path_once() -> None:
    loader = sessions.SharedLoader()
    before = list(loader.search_paths)
    for _ in range(3):
        boto3.Session(botocore_session=_core(loader))  # boto3 appends its data folder every time
    assert loader.search_paths[: len(before)] == before
    assert len(loader.search_paths) == len(before) + 1


def _core(loader: botocore.loaders.Loader) -> botocore.session.Session:
    core = botocore.session.get_session()
    core.register_component("data_loader", loader)
    return core


def test_action_services_are_the_botocore_services_each_operation_calls() -> None:
    known = set(boto3.Session().get_available_services())
    called = re.compile(r'client\(session, "([a-z0-9-]+)"')
    for name, op in operations.REGISTRY.items():
        services = sessions.action_services(op.actions)
        source = Path(op.run.__code__.co_filename).read_text(encoding="utf-8")
        assert set(services) <= known, name
        assert set(called.findall(source)) <= set(services), name
    assert sessions.action_services(
        ["tag:GetResources", "apigateway:GET", "elasticloadbalancing:DescribeLoadBalancers", "ec2:DescribeVpcs"]
    ) == ("apigateway", "apigatewayv2", "ec2", "elb", "elbv2", "resourcegroupstaggingapi")


# -- which session reaches which account (the management account's targets: tests/cli/test_local_management.py)
def identity(session: boto3.Session) -> str:
    return str(session.client("sts").get_caller_identity()["Arn"])


def test_target_sessions_reach_each_account_as_documented(aws: boto3.Session) -> None:
    own, management, member = "123456789012", "999999999999", "111111111111"
    as_caller = local.TargetSessions(aws, "member-role", own_account=own, own_session=aws, management_account=own)
    assert as_caller.for_account(own) is aws
    assert as_caller.reached_as_caller(own)
    assert identity(as_caller.for_account(member)).startswith(f"arn:aws:sts::{member}:assumed-role/member-role/")

    with_role = local.TargetSessions(
        aws, "member-role", own_account=own, own_session=aws, management_account=own, management_role_name="mgmt"
    )
    assert not with_role.reached_as_caller(own)
    assert identity(with_role.for_account(own)).startswith(f"arn:aws:sts::{own}:assumed-role/mgmt/")

    # Credentials of a delegated administrator (not in the management account): their own account
    # as they are; the management account through --management-role-name, else --role-name.
    delegated = local.TargetSessions(
        aws, "member-role", own_account=own, own_session=aws, management_account=management
    )
    assert delegated.for_account(own) is aws
    assert identity(delegated.for_account(management)).startswith(
        f"arn:aws:sts::{management}:assumed-role/member-role/"
    )
