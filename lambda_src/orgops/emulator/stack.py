"""Deploy the operator stack into an emulated account, as the Terraform root configuration does.

``deploy`` creates, in the operations account (the endpoint's default account):
- the status table (hash ``execution_id``, range ``target``, TTL ``expires_at``, on-demand),
  the data bucket (encrypted, public access blocked), the SNS topic;
- the roles: fanout, report, state machine, ``operation-readonly-lambda`` and
  ``operation-admin-lambda`` (the workers'), and the org-reader role the fanout assumes;
- the fanout and report functions and one worker function per operation, with the Handler
  strings and exactly the environment variable names Terraform sets (``orgops.config.*_ENV``),
  each worker with its reserved concurrency (``worker_reserved_concurrency``, Terraform's
  ``reserved_concurrent_executions``: the emulator enforces it, ``orgops.emulator.limits``);
- one state machine per operation, rendered from the module's template with the variables the
  Terraform module passes to ``templatefile()`` (``definition_variables``); the child
  ExecutionType Terraform's definition asks for (``StackSettings.requested_child_execution_type``,
  EXPRESS) is recorded, so the emulator enforces Express's limits on the STANDARD children it runs.

Member roles live in the member accounts (``orgops.emulator.world.install_member_roles``).
The parity tests compare all of this with the HCL.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3

from orgops import asl, operations, store
from orgops.emulator import access, limits
from orgops.emulator.lambdas import FANOUT_HANDLER, REPORT_HANDLER, WORKER_HANDLER
from orgops.inventory import HASH_KEY as INVENTORY_HASH_KEY
from orgops.sessions import DEFAULT_ADMIN_ROLE, DEFAULT_READONLY_ROLE, client

RUNTIME = "python3.13"
STATUS_TABLE_KEYS = ((store.STATUS_HASH_KEY, "HASH"), (store.STATUS_RANGE_KEY, "RANGE"))  # one source: orgops.store
STATUS_TABLE_TTL_ATTRIBUTE = "expires_at"
# moto's ASL parser only accepts STANDARD child executions; AWS runs EXPRESS (see the README).
EMULATOR_CHILD_EXECUTION_TYPE = "STANDARD"
# What modules/operation's child_execution_type defaults to: the emulator enforces its limits.
TERRAFORM_CHILD_EXECUTION_TYPE = "EXPRESS"


@dataclass(frozen=True)
class OperationSettings:
    """One entry of the Terraform ``operations`` map, with the module's defaults (a parity test
    compares them with ``modules/operation/variables.tf``). The emulator's default regions are
    the demo's three; Terraform's ``default_regions`` defaults to us-east-1 alone."""

    regions: tuple[str, ...] = ("us-east-1", "eu-west-1", "ap-southeast-2")
    distributed_threshold: int = 500
    batch_size: int = 10
    max_concurrency: int = 40
    distributed_max_concurrency: int = 5
    batch_max_concurrency: int | None = None  # None: batch_size
    tolerated_failure_percentage: int = 5
    worker_timeout_seconds: int = 60
    worker_retry_max_attempts: int = 2
    worker_memory_size: int = 256
    worker_reserved_concurrency: int = 50  # PutFunctionConcurrency on the worker (enforced)
    max_errors: str | None = None  # the default MaxErrors ("3", "10%"); None: no budget


# modules/operation/limits.tf's RecordStatus Retry (fixed in Terraform too).
RECORD_STATUS_TIMEOUT_SECONDS = 10
RECORD_STATUS_MAX_ATTEMPTS = 4

# modules/platform's fanout and report functions.
FANOUT_TIMEOUT_SECONDS = 290
REPORT_TIMEOUT_SECONDS = 890
FUNCTION_MEMORY_SIZE = 512
# orgops.observability reads these (Powertools); Terraform sets them on every function.
POWERTOOLS_ENV = {
    "POWERTOOLS_SERVICE_NAME": "orgops",
    "POWERTOOLS_METRICS_NAMESPACE": "orgops",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}


@dataclass(frozen=True)
class StackSettings:
    name_prefix: str = "orgops"
    defaults: OperationSettings = field(default_factory=OperationSettings)
    overrides: Mapping[str, OperationSettings] = field(default_factory=dict)
    result_ttl_days: int = 30
    plan_ttl_hours: int = 24
    slack_webhook_parameter: str = ""
    child_execution_type: str = EMULATOR_CHILD_EXECUTION_TYPE  # rendered into the definition
    # What Terraform's definition would ask for: EXPRESS children get Express's limits (limits.py).
    requested_child_execution_type: str = TERRAFORM_CHILD_EXECUTION_TYPE

    def for_operation(self, name: str) -> OperationSettings:
        return self.overrides.get(name, self.defaults)


@dataclass(frozen=True)
class Stack:
    """What ``deploy`` created; ``describe()`` is the JSON line ``orgops emulator`` prints."""

    region: str
    account_id: str
    data_bucket: str
    status_table: str
    topic_arn: str
    org_reader_role_arn: str
    roles: dict[str, str]
    functions: dict[str, str]  # "fanout", "report", "inventory", "worker:<operation>" -> function ARN
    state_machines: dict[str, str]  # operation -> state machine ARN
    definitions: dict[str, str]  # operation -> the deployed definition
    inventory_table: str = ""  # the organization inventory (modules/platform)

    def describe(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "account_id": self.account_id,
            "state_machines": self.state_machines,
            "data_bucket": self.data_bucket,
            "reports_bucket": self.data_bucket,
            "status_table": self.status_table,
            "topic_arn": self.topic_arn,
            "functions": self.functions,
            "roles": self.roles,
        }


def names(prefix: str) -> dict[str, str]:
    """Resource names, as the Terraform root names them."""
    return {
        "status_table": f"{prefix}-status",
        "topic": f"{prefix}-notifications",
        "fanout": f"{prefix}-fanout",
        "report": f"{prefix}-report",
        "fanout_role": f"{prefix}-fanout",
        "report_role": f"{prefix}-report",
        "org_reader_role": f"{prefix}-org-reader",
        # The organization inventory (modules/platform, modules/operator-roles).
        "inventory_table": f"{prefix}-inventory",
        "inventory": f"{prefix}-inventory",
        "inventory_role": f"{prefix}-inventory",
        "readonly_lambda_role": f"{DEFAULT_READONLY_ROLE}-lambda",
        "admin_lambda_role": f"{DEFAULT_ADMIN_ROLE}-lambda",
    }


def data_bucket_name(prefix: str, account_id: str, region: str) -> str:
    return f"{prefix}-data-{account_id}-{region}"


def worker_name(prefix: str, operation: str) -> str:
    return f"{prefix}-{operation}-worker"


def state_machine_role_name(prefix: str, operation: str) -> str:
    return f"{prefix}-{operation}-sfn"


def member_role_name(operation: str, prefix: str) -> str:
    """The role a worker assumes in its target account; ``organization`` operations run as the
    read-only worker and assume the org-reader in the management account."""
    role = operations.get(operation).role
    if role == "organization":
        return names(prefix)["org_reader_role"]
    return DEFAULT_ADMIN_ROLE if role == "admin" else DEFAULT_READONLY_ROLE


def state_machine_name(prefix: str, operation: str) -> str:
    return f"{prefix}-{operation}"


def definition_variables(
    operation: str,
    op: OperationSettings,
    *,
    fanout_arn: str,
    worker_arn: str,
    report_arn: str,
    status_table: str,
    data_bucket: str,
    state_machine: str,
    child_execution_type: str,
) -> dict[str, str | int]:
    """The ``templatefile()`` variables the Terraform operation module passes (the parity test checks)."""
    return {
        "fanout_function_arn": fanout_arn,
        "worker_function_arn": worker_arn,
        "report_function_arn": report_arn,
        "status_table": status_table,
        "operation": operation,
        "default_regions": ",".join(op.regions),
        "distributed_threshold": op.distributed_threshold,
        "batch_size": op.batch_size,
        "max_errors": op.max_errors or "",  # modules/operation: var.max_errors == null ? "" : var.max_errors
        "max_concurrency": op.max_concurrency,
        "distributed_max_concurrency": op.distributed_max_concurrency,
        "tolerated_failure_percentage": f"{op.tolerated_failure_percentage:d}",
        "child_execution_type": child_execution_type,
        "data_bucket": data_bucket,
        "state_machine_name": state_machine,
        "worker_timeout_seconds": op.worker_timeout_seconds,
        "worker_retry_max_attempts": op.worker_retry_max_attempts,
        "batch_max_concurrency": min(op.batch_max_concurrency or op.batch_size, op.batch_size),
        # modules/operation/limits.tf's local.record_status (the parity test compares them).
        "record_status_timeout": RECORD_STATUS_TIMEOUT_SECONDS,
        "record_status_max_attempts": RECORD_STATUS_MAX_ATTEMPTS,
    }


def function_environments(
    settings: StackSettings,
    *,
    data_bucket: str,
    status_table: str,
    org_reader_role_arn: str,
    topic_arn: str,
    modules: str = "",
    inventory_table: str = "",
) -> dict[str, dict[str, str]]:
    """Environment of the shared functions, by kind (the worker's is per operation: ``worker_environment``)."""
    return {
        "fanout": {
            "ORGOPS_DATA_BUCKET": data_bucket,
            "ORGOPS_STATUS_TABLE": status_table,
            "ORGOPS_ORG_ROLE_ARN": org_reader_role_arn,
            "ORGOPS_RESULT_TTL_DAYS": str(settings.result_ttl_days),
            "ORGOPS_INVENTORY_TABLE": inventory_table,
            "ORGOPS_OPERATION_MODULES": modules,
            **POWERTOOLS_ENV,
        },
        "report": {
            "ORGOPS_DATA_BUCKET": data_bucket,
            "ORGOPS_STATUS_TABLE": status_table,
            "ORGOPS_TOPIC_ARN": topic_arn,
            "ORGOPS_SLACK_WEBHOOK_PARAMETER": settings.slack_webhook_parameter,
            "ORGOPS_PLAN_TTL_HOURS": str(settings.plan_ttl_hours),
            "ORGOPS_OPERATION_MODULES": modules,
            **POWERTOOLS_ENV,
        },
        # modules/platform's aws_lambda_function.inventory (orgops.config.INVENTORY_ENV).
        "inventory": {
            "ORGOPS_INVENTORY_TABLE": inventory_table,
            "ORGOPS_ORG_ROLE_ARN": org_reader_role_arn,
            **POWERTOOLS_ENV,
        },
    }


def user_modules(operation_names: Iterable[str]) -> str:
    """``ORGOPS_OPERATION_MODULES`` for these deployed operations: the user's modules, as Terraform
    sets it from the manifest (built-ins need none)."""
    names = [n for n in operation_names if not operations.builtin(n) and n in operations.ORIGINS]
    return ",".join(sorted(operations.ORIGINS[n] for n in names))


def worker_environment(
    operation: str, data_bucket: str, prefix: str, modules: str = "", inventory_table: str = ""
) -> dict[str, str]:
    return {
        "ORGOPS_OPERATION": operation,
        "ORGOPS_OPERATION_ROLE": operations.get(operation).role,
        "ORGOPS_MEMBER_ROLE_NAME": member_role_name(operation, prefix),
        "ORGOPS_DATA_BUCKET": data_bucket,
        "ORGOPS_STATUS_TABLE": names(prefix)["status_table"],
        "ORGOPS_INVENTORY_TABLE": inventory_table,
        "ORGOPS_OPERATION_MODULES": modules,
        **POWERTOOLS_ENV,
    }


def _placeholder_zip() -> bytes:
    """The functions' code is never run from the zip (the router runs the package in-process)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("orgops/__init__.py", "# emulated: the emulator routes invocations in-process\n")
    return buf.getvalue()


def _create_role(iam: Any, name: str, trust: str) -> str:
    try:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"])


def _create_function(
    lam: Any, name: str, role: str, handler: str, env: Mapping[str, str], code: bytes, **kw: Any
) -> str:
    try:
        return str(lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"])
    except lam.exceptions.ResourceNotFoundException:
        pass
    return str(
        lam.create_function(
            FunctionName=name,
            Runtime=RUNTIME,
            Role=role,
            Handler=handler,
            Code={"ZipFile": code},
            Environment={"Variables": dict(env)},
            **kw,
        )["FunctionArn"]
    )


def _create_table(ddb: Any, name: str) -> None:
    if name in ddb.list_tables()["TableNames"]:
        return
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": a, "KeyType": k} for a, k in STATUS_TABLE_KEYS],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a, _ in STATUS_TABLE_KEYS],
        BillingMode="PAY_PER_REQUEST",
        SSESpecification={"Enabled": True},
    )
    ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": STATUS_TABLE_TTL_ATTRIBUTE}
    )


# -- the organization inventory (modules/platform): table, function, and a refresh by hand ----------------
INVENTORY_HANDLER = "orgops.handlers.inventory.handler"
INVENTORY_TIMEOUT_SECONDS = 300  # modules/platform's inventory_timeout_seconds default


def _create_inventory_table(ddb: Any, name: str) -> None:
    """As modules/platform's aws_dynamodb_table.inventory: hash key account_id (S), on demand."""
    if name in ddb.list_tables()["TableNames"]:
        return
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": INVENTORY_HASH_KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": INVENTORY_HASH_KEY, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        SSESpecification={"Enabled": True},
    )


def refresh_inventory(emu: Any, max_runs: int = 20) -> list[dict[str, Any]]:
    """Fill the emulated organization's inventory: scheduled refreshes, as the inventory function
    runs them (its role, the org-reader it assumes), until no account is stale. The emulator is
    not rate-limited, so the runs pace themselves on a simulated clock (nothing sleeps)."""
    from orgops import inventory
    from orgops.config import InventorySettings
    from orgops.handlers import inventory as inventory_handler

    stack = emu.stack
    session = emu.router.function_session(stack.account_id, stack.region, stack.roles["inventory_role"], "inventory")
    settings = InventorySettings(inventory_table=stack.inventory_table, org_role_arn=stack.org_reader_role_arn)
    runs = []
    for _ in range(max_runs):
        summary = inventory_handler.handle({"Refresh": "stalest"}, settings, session, clock=inventory.SimulatedClock())
        runs.append(summary)
        if summary["Stale"] == 0:
            break
    return runs


def _create_bucket(s3: Any, name: str, region: str) -> None:
    kwargs: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**kwargs)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        return
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )


def deploy(
    session: boto3.Session,
    region: str,
    operation_names: Iterable[str] | None = None,
    settings: StackSettings | None = None,
) -> Stack:
    """Create the operator stack (idempotent: existing resources are reused)."""
    settings = settings or StackSettings()
    ops = sorted(operation_names if operation_names is not None else operations.REGISTRY)
    for name in ops:
        operations.get(name)
    n = names(settings.name_prefix)
    account_id = client(session, "sts", region).get_caller_identity()["Account"]
    iam = client(session, "iam", region)
    lam = client(session, "lambda", region)
    sfn = client(session, "stepfunctions", region)

    lambda_trust = access.service_trust_policy("lambda.amazonaws.com")
    roles = {
        key: _create_role(iam, n[key], lambda_trust)
        for key in ("fanout_role", "report_role", "readonly_lambda_role", "admin_lambda_role", "inventory_role")
    }
    roles["org_reader_role"] = _create_role(
        iam,
        n["org_reader_role"],
        access.trust_policy(roles["fanout_role"], roles["readonly_lambda_role"], roles["inventory_role"]),
    )
    states_trust = access.service_trust_policy("states.amazonaws.com")

    bucket = data_bucket_name(settings.name_prefix, account_id, region)
    _create_bucket(client(session, "s3", region), bucket, region)
    _create_table(client(session, "dynamodb", region), n["status_table"])
    _create_inventory_table(client(session, "dynamodb", region), n["inventory_table"])
    topic_arn = str(client(session, "sns", region).create_topic(Name=n["topic"])["TopicArn"])

    code = _placeholder_zip()
    envs = function_environments(
        settings,
        data_bucket=bucket,
        status_table=n["status_table"],
        org_reader_role_arn=roles["org_reader_role"],
        topic_arn=topic_arn,
        modules=user_modules(ops),
        inventory_table=n["inventory_table"],
    )
    functions = {
        "fanout": _create_function(
            lam,
            n["fanout"],
            roles["fanout_role"],
            FANOUT_HANDLER,
            envs["fanout"],
            code,
            Timeout=FANOUT_TIMEOUT_SECONDS,
            MemorySize=FUNCTION_MEMORY_SIZE,
        ),
        "report": _create_function(
            lam,
            n["report"],
            roles["report_role"],
            REPORT_HANDLER,
            envs["report"],
            code,
            Timeout=REPORT_TIMEOUT_SECONDS,
            MemorySize=FUNCTION_MEMORY_SIZE,
        ),
        "inventory": _create_function(
            lam,
            n["inventory"],
            roles["inventory_role"],
            INVENTORY_HANDLER,
            envs["inventory"],
            code,
            Timeout=INVENTORY_TIMEOUT_SECONDS,
            MemorySize=FUNCTION_MEMORY_SIZE,
        ),
    }
    state_machines: dict[str, str] = {}
    definitions: dict[str, str] = {}
    for name in ops:
        op = settings.for_operation(name)
        role_key = "admin_lambda_role" if operations.get(name).role == "admin" else "readonly_lambda_role"
        worker_arn = _create_function(
            lam,
            worker_name(settings.name_prefix, name),
            roles[role_key],
            WORKER_HANDLER,
            worker_environment(name, bucket, settings.name_prefix, user_modules(ops), n["inventory_table"]),
            code,
            Timeout=op.worker_timeout_seconds,
            MemorySize=op.worker_memory_size,
        )
        # Terraform's reserved_concurrent_executions (refused if it leaves < 100 unreserved).
        lam.put_function_concurrency(
            FunctionName=worker_arn, ReservedConcurrentExecutions=op.worker_reserved_concurrency
        )
        functions[f"worker:{name}"] = worker_arn
        sm_name = state_machine_name(settings.name_prefix, name)
        definition = asl.render_file(
            definition_variables(
                name,
                op,
                fanout_arn=functions["fanout"],
                worker_arn=worker_arn,
                report_arn=functions["report"],
                status_table=n["status_table"],
                data_bucket=bucket,
                state_machine=sm_name,
                child_execution_type=settings.child_execution_type,
            )
        )
        json.loads(definition)  # the rendered template must be JSON before it is deployed
        definitions[name] = definition
        sm_role = _create_role(iam, state_machine_role_name(settings.name_prefix, name), states_trust)
        roles[f"state_machine_role:{name}"] = sm_role
        state_machines[name] = _create_state_machine(sfn, sm_name, definition, sm_role)
        limits.set_child_execution_type(state_machines[name], settings.requested_child_execution_type)
    return Stack(
        region=region,
        account_id=account_id,
        data_bucket=bucket,
        status_table=n["status_table"],
        topic_arn=topic_arn,
        org_reader_role_arn=roles["org_reader_role"],
        roles=roles,
        functions=functions,
        state_machines=state_machines,
        definitions=definitions,
        inventory_table=n["inventory_table"],
    )


def _create_state_machine(sfn: Any, name: str, definition: str, role_arn: str) -> str:
    for page in sfn.get_paginator("list_state_machines").paginate():
        for sm in page["stateMachines"]:
            if sm["name"] == name:
                sfn.update_state_machine(stateMachineArn=sm["stateMachineArn"], definition=definition, roleArn=role_arn)
                return str(sm["stateMachineArn"])
    return str(
        sfn.create_state_machine(name=name, definition=definition, roleArn=role_arn, type="STANDARD")["stateMachineArn"]
    )
