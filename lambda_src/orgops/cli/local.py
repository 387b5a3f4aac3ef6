"""``orgops local``: the fanout, worker and report code of the Lambdas, run in this process.

For developing an operation without deploying anything: the same ``fanout``, ``work`` and
``build_report`` functions the Lambdas run, with a thread pool standing in for the Map, the
operator's credentials (or ``--endpoint-url``) standing in for the Lambda roles, and the result
store (the data bucket and the status table) kept in a local directory instead of S3 and
DynamoDB. The store is the only piece replaced: ``LocalStore`` answers the handful of S3 and
DynamoDB calls ``orgops.store`` and ``orgops.report`` make, and ``StoreSession`` hands it out for
``s3``/``dynamodb`` while every other client (Organizations, STS, the operation's own services)
is a real one. The state machine's ``RecordStatus`` step becomes ``status_item``, which writes the
same attributes. So the report files are the ones the state machine writes for the same
organization, byte for byte, and nothing needs deploying.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from orgops import dataset, operations, org, store
from orgops.cli import progress
from orgops.cli.common import (
    Aws,
    UsageError,
    check_out_dir,
    checked_input,
    endpoint_environment,
    guarded,
    print_json,
)
from orgops.cli.run import default_out_dir, execution_name, exit_code, print_result
from orgops.config import FanoutSettings, ReportSettings, WorkerSettings
from orgops.errors import OrgopsError
from orgops.handlers import fanout as fanout_handler
from orgops.handlers import report as report_handler
from orgops.handlers import worker as worker_handler
from orgops.sessions import (
    DEFAULT_ADMIN_ROLE,
    DEFAULT_READONLY_ROLE,
    RoleSessions,
    action_services,
    client,
    new_session,
    warm,
)

LOCAL_BUCKET = "orgops-local"
LOCAL_TABLE = "orgops-local-status"
LOCAL_MACHINE = "orgops-local"
# Local runs never take the distributed path: there is no Map run to hand batches to.
NO_DISTRIBUTION = 2**31 - 1
STORE_SERVICES = ("s3", "dynamodb")
# The status table's key schema and TTL attribute (the Terraform table and the ASL use the same).
HASH_KEY, RANGE_KEY, TTL_ATTRIBUTE = "execution_id", "target", "expires_at"


def _not_found(operation: str, key: str) -> ClientError:
    return ClientError({"Error": {"Code": "NoSuchKey", "Message": f"no object {key}"}}, operation)


class LocalS3:
    """The S3 calls of ``orgops.store`` and ``orgops.report``, on files under ``root/<bucket>/``."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._uploads: dict[str, list[bytes]] = {}
        self._lock = threading.Lock()

    def path(self, bucket: str, key: str) -> Path:
        path = (self._root / bucket / key).resolve()
        if not path.is_relative_to(self._root.resolve()):
            raise ValueError(f"key escapes the local store: {key!r}")
        return path

    def put_object(self, Bucket: str, Key: str, Body: bytes | str, **_: Any) -> dict[str, Any]:
        path = self.path(Bucket, Key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{threading.get_ident()}.tmp")
        tmp.write_bytes(Body.encode() if isinstance(Body, str) else bytes(Body))
        tmp.replace(path)
        return {}

    def get_object(self, Bucket: str, Key: str, **_: Any) -> dict[str, Any]:
        path = self.path(Bucket, Key)
        if not path.is_file():
            raise _not_found("GetObject", Key)
        data = path.read_bytes()
        return {"Body": StreamingBody(io.BytesIO(data), len(data)), "ContentLength": len(data)}

    def create_multipart_upload(self, Bucket: str, Key: str, **_: Any) -> dict[str, Any]:
        with self._lock:
            upload_id = f"upload-{len(self._uploads) + 1}"
            self._uploads[upload_id] = []
        return {"UploadId": upload_id}

    def upload_part(self, UploadId: str, PartNumber: int, Body: bytes, **_: Any) -> dict[str, Any]:
        with self._lock:
            parts = self._uploads[UploadId]
            if PartNumber != len(parts) + 1:
                raise ValueError("parts must be uploaded in order")
            parts.append(bytes(Body))
        return {"ETag": f'"{UploadId}-{PartNumber}"'}

    def complete_multipart_upload(self, Bucket: str, Key: str, UploadId: str, **_: Any) -> dict[str, Any]:
        with self._lock:
            parts = self._uploads.pop(UploadId)
        return self.put_object(Bucket=Bucket, Key=Key, Body=b"".join(parts))

    def abort_multipart_upload(self, UploadId: str, **_: Any) -> dict[str, Any]:
        with self._lock:
            self._uploads.pop(UploadId, None)
        return {}


class _QueryPaginator:
    def __init__(self, table: LocalTable) -> None:
        self._table = table

    def paginate(self, ExpressionAttributeValues: Mapping[str, Any], **_: Any) -> Iterator[dict[str, Any]]:
        ((value,),) = (v.values() for v in ExpressionAttributeValues.values())
        yield {"Items": self._table.query(value)}


class LocalTable:
    """The status table's calls (``put_item``, ``batch_write_item``, ``query`` by execution, and the
    run item's ``get_item`` and ``update_item`` with ``ADD``), in memory."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def _put(self, item: Mapping[str, Any]) -> None:
        key = (item[HASH_KEY]["S"], item[RANGE_KEY]["S"])
        with self._lock:
            self._items[key] = dict(item)

    def put_item(self, TableName: str, Item: Mapping[str, Any], **_: Any) -> dict[str, Any]:
        self._put(Item)
        return {}

    def batch_write_item(self, RequestItems: Mapping[str, list[dict[str, Any]]], **_: Any) -> dict[str, Any]:
        for requests in RequestItems.values():
            for request in requests:
                self._put(request["PutRequest"]["Item"])
        return {"UnprocessedItems": {}}

    def get_item(self, TableName: str, Key: Mapping[str, Any], **_: Any) -> dict[str, Any]:
        with self._lock:
            item = self._items.get((Key[HASH_KEY]["S"], Key[RANGE_KEY]["S"]))
            return {"Item": dict(item)} if item is not None else {}

    def update_item(
        self,
        TableName: str,
        Key: Mapping[str, Any],
        UpdateExpression: str,
        ExpressionAttributeValues: Mapping[str, Any],
        **_: Any,
    ) -> dict[str, Any]:
        """``ADD attribute :value`` on a number attribute (the run's failure counter), atomically."""
        action, attribute, placeholder = UpdateExpression.split()
        if action != "ADD":
            raise NotImplementedError(f"the local status table only ADDs, not {UpdateExpression!r}")
        key = (Key[HASH_KEY]["S"], Key[RANGE_KEY]["S"])
        with self._lock:
            item = self._items.setdefault(key, dict(Key))
            total = int(item.get(attribute, {"N": "0"})["N"]) + int(ExpressionAttributeValues[placeholder]["N"])
            item[attribute] = {"N": str(total)}
        return {"Attributes": {attribute: {"N": str(total)}}}

    def query(self, execution_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(item) for (hash_key, _), item in sorted(self._items.items()) if hash_key == execution_id]

    def get_paginator(self, name: str) -> _QueryPaginator:
        if name != "query":
            raise NotImplementedError(f"the local status table has no {name} paginator")
        return _QueryPaginator(self)


class StoreSession:
    """A ``boto3.Session`` whose ``s3`` and ``dynamodb`` clients are the local store."""

    def __init__(self, session: boto3.Session, s3: LocalS3, table: LocalTable) -> None:
        self._session = session
        self._store = {"s3": s3, "dynamodb": table}

    @property
    def region_name(self) -> str | None:
        return self._session.region_name

    def client(self, service: str, *args: Any, **kwargs: Any) -> Any:
        if service in STORE_SERVICES:
            return self._store[service]
        return self._session.client(service, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


def status_item(execution_arn: str, target: Mapping[str, str], result: Mapping[str, Any], expires_at: int) -> dict:
    """What the ASL's ``RecordStatus`` (``dynamodb:putItem``) writes for one target."""
    return {
        HASH_KEY: {"S": execution_arn},
        RANGE_KEY: {"S": f"{target['AccountId']}#{target['Region']}"},
        "account_id": {"S": target["AccountId"]},
        "account_name": {"S": target["AccountName"]},
        "region": {"S": target["Region"]},
        "status": {"S": str(result["Status"])},
        "rows": {"N": str(result["Rows"])},
        "error_code": {"S": str(result["ErrorCode"])},
        "error_message": {"S": str(result["ErrorMessage"])},
        TTL_ATTRIBUTE: {"N": str(expires_at)},
    }


def caught_failure(exc: BaseException) -> dict[str, Any]:
    """What the ASL's ``WorkerFailed`` records for a worker that raised: the Lambda error, as
    ``States.JsonToString($.Failure)`` renders ``{"Error", "Cause"}``."""
    kind = type(exc).__name__
    cause = json.dumps(
        {"errorMessage": str(exc), "errorType": kind, "stackTrace": traceback.format_tb(exc.__traceback__)}
    )
    return {
        "Status": store.FAILED,
        "Rows": 0,
        "ErrorCode": kind,
        "ErrorMessage": json.dumps({"Error": kind, "Cause": cause}, separators=(",", ":")),
    }


@dataclass(frozen=True)
class LocalRun:
    execution_arn: str
    summary: dict[str, Any]
    files: list[Path]


def local_execution_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:states:{region}:{account}:execution:{LOCAL_MACHINE}:{name}"


def member_role_name(operation: operations.Operation, override: str | None) -> str:
    if override:
        return override
    return DEFAULT_ADMIN_ROLE if operation.role == "admin" else DEFAULT_READONLY_ROLE


class TargetSessions(RoleSessions):
    """``RoleSessions`` for ``orgops local``, which also reaches the management account's targets.

    The management account has no ``--role-name`` role as a rule: Organizations creates
    ``OrganizationAccountAccessRole`` only in the accounts it creates, and the member roles'
    StackSet never deploys there. So its targets run in the session of ``management_role_name``
    when one is given, else, when the caller's credentials are in that account (``own_account``),
    in the caller's own session (``own_session``: the caller's session itself, not the local
    store's). The caller's own account, when it is not the management account (a delegated
    administrator's), is reached with the caller's session too; every other account through
    ``role_name``, as the worker Lambda reaches it.
    """

    def __init__(
        self,
        base: boto3.Session,
        role_name: str,
        *,
        own_account: str,
        own_session: boto3.Session,
        management_account: str | None = None,
        management_role_name: str | None = None,
    ) -> None:
        super().__init__(base, role_name)
        self.own_account = own_account
        self._own_session = own_session
        self.management_account = management_account
        self._management = RoleSessions(base, management_role_name) if management_role_name else None

    def reached_as_caller(self, account_id: str) -> bool:
        """Whether ``account_id``'s targets run with the caller's own credentials."""
        return account_id == self.own_account and not (
            self._management is not None and account_id == self.management_account
        )

    def for_account(self, account_id: str) -> boto3.Session:
        if self._management is not None and account_id == self.management_account:
            return self._management.for_account(account_id)
        if account_id == self.own_account:
            return self._own_session
        return super().for_account(account_id)


def management_account_id(session: boto3.Session, org_role_arn: str | None) -> str | None:
    """The organization's management account (``DescribeOrganization``, with the session that lists
    the organization); None when it cannot be read: then only the caller's own account is known."""
    try:
        mgmt = org.management_session(session, org_role_arn)
        return str(
            client(mgmt, "organizations", "us-east-1").describe_organization()["Organization"]["MasterAccountId"]
        )
    except (ClientError, OrgopsError):
        return None


def warm_models(
    operation: operations.Operation, base: boto3.Session, sessions: TargetSessions, items: list[Mapping[str, str]]
) -> None:
    """Load, before the pool starts, the service models the targets' first clients need.

    botocore's own loader is not thread-safe: threads creating their first client of a service at
    once each parse its model again (39 threads: EC2's parsed 12 to 34 times, 5 to 8 CPU-s). The
    member sessions share ``SharedLoader`` (single-flight); the caller's session (STS for every
    assume, the operation's services for its own account's targets) keeps botocore's, so one
    client of each is created here first, one after the other.
    """
    services = [s for s in action_services(operation.actions) if s not in STORE_SERVICES]
    warm(base, ["sts"])
    warm(new_session(base.region_name), services)
    if any(sessions.reached_as_caller(item["AccountId"]) for item in items):
        warm(sessions.for_account(sessions.own_account), services)


def run_local(
    operation_name: str,
    execution_input: Mapping[str, Any],
    session: boto3.Session,
    out_dir: Path,
    work_dir: Path,
    name: str,
    *,
    concurrency: int = 8,
    role_name: str | None = None,
    management_role_name: str | None = None,
    org_role_arn: str | None = None,
    default_regions: str | None = None,
    on_progress: Callable[[progress.Counts], None] = lambda _c: None,
) -> LocalRun:
    """Fanout, a worker per target on ``concurrency`` threads, then the report; files into ``out_dir``.

    Members are reached through ``role_name``; the management account through
    ``management_role_name``, or the caller's credentials when they are in it (``TargetSessions``)."""
    operation = operations.get(operation_name)
    account = session.client("sts").get_caller_identity()["Account"]
    region = session.region_name or "us-east-1"
    execution_arn = local_execution_arn(region, account, name)
    started = datetime.now(UTC)
    s3, table = LocalS3(work_dir), LocalTable()
    base = StoreSession(session, s3, table)

    on_progress(progress.Counts(phase=progress.FANOUT))
    fanned = fanout_handler.fanout(
        {
            "Input": dict(execution_input),
            "Operation": operation.name,
            "DefaultRegions": default_regions or region,
            "DistributedThreshold": NO_DISTRIBUTION,
            "BatchSize": 1,
            "ExecutionId": execution_arn,
        },
        FanoutSettings(data_bucket=LOCAL_BUCKET, status_table=LOCAL_TABLE, org_role_arn=org_role_arn),
        base,
    )
    common, items = fanned["Common"], fanned["AccountRegions"]
    settings = WorkerSettings(
        operation=operation.name,
        member_role_name=member_role_name(operation, role_name),
        data_bucket=LOCAL_BUCKET,
        status_table=LOCAL_TABLE,
    )
    sessions = TargetSessions(
        base,
        settings.member_role_name,
        own_account=account,
        own_session=session,
        management_account=management_account_id(session, org_role_arn) or account,
        management_role_name=management_role_name,
    )
    warm_models(operation, base, sessions, items)

    def one(item: Mapping[str, str]) -> str:
        event = {"Target": dict(item), "Common": common, "ExecutionId": execution_arn}
        try:
            out = worker_handler.work(event, settings, base, sessions)
            result = {k: out[k] for k in ("Status", "Rows", "ErrorCode", "ErrorMessage")}
        except Exception as exc:  # the state machine's Catch: States.ALL
            result = caught_failure(exc)
        table.put_item(TableName=LOCAL_TABLE, Item=status_item(execution_arn, item, result, common["ExpiresAt"]))
        return str(result["Status"])

    counts = progress.Counts(total=len(items), phase=progress.RUNNING)
    on_progress(counts)
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="orgops-local")
    try:
        futures = [pool.submit(one, item) for item in items]
        running = min(len(items), max(1, concurrency))
        for future in as_completed(futures):
            status = future.result()
            done = counts.finished + 1
            counts = progress.Counts(
                total=len(items),
                succeeded=counts.succeeded + (status not in (store.FAILED, store.NOT_RUN)),
                failed=counts.failed + (status == store.FAILED),
                not_run=counts.not_run + (status == store.NOT_RUN),
                running=min(running, len(items) - done),
                phase=progress.RUNNING,
            )
            on_progress(counts)
    except BaseException:
        # Ctrl-C or a bug: start no more targets (those running finish on their own).
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()

    on_progress(
        progress.Counts(
            total=len(items),
            succeeded=counts.succeeded,
            failed=counts.failed,
            not_run=counts.not_run,
            phase=progress.REPORT,
        )
    )
    summary = report_handler.build_report(
        # StartTime: the run's start for its data set (a state machine's is its execution's).
        # Input: the run's selection, which picks the run it is compared with (orgops.baselines).
        {
            "Operation": operation.name,
            "ExecutionId": execution_arn,
            "StartTime": started.isoformat(),
            "Input": dict(execution_input),
        },
        ReportSettings(data_bucket=LOCAL_BUCKET, status_table=LOCAL_TABLE),
        base,
    )
    run = copy_report(s3, execution_arn, summary, out_dir)
    saved = copy_dataset(s3, run, operation.name, started, out_dir)
    return LocalRun(run.execution_arn, run.summary, [*run.files, *saved])


def copy_dataset(s3: LocalS3, run: LocalRun, operation: str, started: datetime, out_dir: Path) -> list[Path]:
    """The run's data set objects (orgops.dataset) as the report wrote them, under ``out_dir/dataset/``
    (``orgops query`` reads them there); the summary's URIs are the local files', as in summary.json."""
    files = []
    for kind, key in dataset.keys(operation, store.ExecutionRef.parse(run.execution_arn).name, started).items():
        source = s3.path(LOCAL_BUCKET, key)
        if not source.is_file():  # no rows: no rows object
            continue
        target = out_dir / key
        target.parent.mkdir(parents=True, exist_ok=True)
        if kind == dataset.SUMMARIES:
            line = json.loads(source.read_text(encoding="utf-8"))
            line.update(report_uri=run.summary.get("ReportUri"), errors_uri=run.summary.get("ErrorsUri"))
            target.write_text(dataset.line(line), encoding="utf-8")
        else:
            shutil.copyfile(source, target)
        files.append(target)
    return files


def copy_report(s3: LocalS3, execution_arn: str, summary: Mapping[str, Any], out_dir: Path) -> LocalRun:
    """report.csv and errors.csv as the report step wrote them; summary.json pointing at them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    local = dict(summary)
    files = []
    for field in ("ReportUri", "ErrorsUri", "ChangesUri"):
        if not summary.get(field):
            continue
        key = str(summary[field]).split("/", 3)[3]
        target = out_dir / key.rsplit("/", 1)[-1]
        shutil.copyfile(s3.path(LOCAL_BUCKET, key), target)
        local[field] = target.resolve().as_uri()
        files.append(target)
    summary_path = out_dir / "summary.json"
    summary_path.write_text(json.dumps({**local, "ExecutionId": execution_arn}, indent=2), encoding="utf-8")
    files.append(summary_path)
    return LocalRun(execution_arn, local, files)


@guarded
def cmd_local(args: argparse.Namespace) -> int:
    doc, operation = checked_input(args)
    if args.concurrency < 1:
        raise UsageError(f"--concurrency must be at least 1, got {args.concurrency}")
    name = args.name or execution_name(operation.name)
    out_dir = args.out or default_out_dir(operation.name, name)
    check_out_dir(out_dir)  # before any target runs, not after the whole run
    bar = progress.ProgressLine(sys.stderr)
    with endpoint_environment(args.endpoint_url), tempfile.TemporaryDirectory(prefix="orgops-local-") as work:
        aws = Aws.from_args(args)
        print(f"running {name} locally ({'APPLY' if args.apply else 'dry run'})", file=sys.stderr)
        run = run_local(
            operation.name,
            doc,
            aws.session,
            out_dir,
            Path(work),
            name,
            concurrency=args.concurrency,
            role_name=args.role_name,
            management_role_name=args.management_role_name,
            org_role_arn=args.org_role_arn,
            default_regions=args.default_regions,
            on_progress=bar.update,
        )
    bar.finish()
    result = {"ExecutionArn": run.execution_arn, "Status": "SUCCEEDED", "Summary": run.summary, "Files": run.files}
    if args.output == "json":
        print_json({**result, "Files": [str(f) for f in run.files]})
    else:
        print_result({**result, "Files": [str(f) for f in run.files]}, None, sys.stdout)
    return exit_code("SUCCEEDED", run.summary)
