"""The emulator half of ``make bench``: run each design on a synthetic organization and read
what it cost from the execution history and from counters on moto.

Benchmark-only pieces, installed in this process only (never in the package):
- the ``bench-echo`` operation: one row per target and no AWS call of its own, so the worker's
  real code (assume the member role, run, PUT the rows to S3, return the status) is all it runs;
- request counters: every in-process request moto serves passes ``BotocoreStubber.process_request``,
  where S3 PUT/GET and DynamoDB writes are counted (handlers and the ASL interpreter alike);
- child histories: moto runs a Distributed Map's children inside the parent's interpreter and
  records their events in one event manager per Map Run that it then drops; the bench keeps it.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from benchmarks.model import Figures
from orgops import asl, operations
from orgops.emulator import AccountSpec, Emulator, OperationSettings, StackSettings
from orgops.emulator import stack as stack_module
from orgops.operations.base import Operation
from orgops.sessions import client

BENCH_OPERATION = "bench-echo"
REGIONS = ("ap-southeast-2", "eu-west-1", "us-east-1", "us-west-2")
BATCH_SIZE = 20
SEED_TEMPLATE = Path(__file__).resolve().parent / "seed.asl.json"
INLINE_ONLY = 1_000_000  # a threshold no bench run reaches: always the inline path
DISTRIBUTED_ALWAYS = 1
PAYLOAD_FIELDS = ("input", "output", "parameters")


def _echo(session: Any, target: Any, params: Mapping[str, Any], dry_run: bool) -> Iterator[dict[str, Any]]:
    yield {"marker": f"{target.account_id}/{target.region}"}


def register_bench_operation() -> Operation:
    """``bench-echo``: readonly, regional, one row per target, no AWS call (benchmarks and scale tests)."""
    op = operations.REGISTRY.get(BENCH_OPERATION)
    if op is None:
        op = Operation(
            name=BENCH_OPERATION,
            description="Benchmark only: one row per target, no AWS call.",
            role="readonly",
            columns=("marker",),
            run=_echo,
        )
        operations.REGISTRY[BENCH_OPERATION] = op
    return op


# -- counters ------------------------------------------------------------------------------------------
@dataclass
class Counters:
    s3_puts: int = 0
    s3_gets: int = 0
    dynamodb_writes: int = 0
    map_runs: list[Any] = field(default_factory=list)  # event managers of the Map Runs
    recording: bool = False  # Map Runs are kept only during a bench run (other tests share the process)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self, recording: bool = True) -> None:
        with self.lock:
            self.s3_puts = self.s3_gets = self.dynamodb_writes = 0
            self.map_runs = []
            self.recording = recording

    def count(self, request: Any) -> None:
        url, method = str(request.url), str(request.method).upper()
        raw = request.headers.get("X-Amz-Target") or b""
        target = raw.decode() if isinstance(raw, bytes) else str(raw)
        with self.lock:
            if "DynamoDB_" in target:
                if target.endswith(".PutItem"):
                    self.dynamodb_writes += 1
                elif target.endswith(".BatchWriteItem"):
                    body = json.loads(request.body or b"{}")
                    self.dynamodb_writes += sum(len(v) for v in body.get("RequestItems", {}).values())
            elif ".s3." in url or "//s3." in url or "s3.amazonaws.com" in url:
                if method in ("PUT", "POST") or (method == "GET" and "list-type" in url):
                    self.s3_puts += 1  # LIST is priced as a PUT-class request
                elif method in ("GET", "HEAD"):
                    self.s3_gets += 1


COUNTERS = Counters()
_installed = False


def install_counters() -> Counters:
    global _installed
    if _installed:
        return COUNTERS
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        distributed_iteration_component as dic,
    )

    process_request = BotocoreStubber.process_request

    def counting(self: Any, request: Any) -> Any:
        COUNTERS.count(request)
        return process_request(self, request)

    BotocoreStubber.process_request = counting  # type: ignore[method-assign]
    map_run = dic.DistributedIterationComponent._map_run

    def keeping(self: Any, env: Any, eval_input: Any) -> None:
        with COUNTERS.lock:
            if COUNTERS.recording:
                COUNTERS.map_runs.append(env.event_manager)
        return map_run(self, env, eval_input)

    dic.DistributedIterationComponent._map_run = keeping  # type: ignore[method-assign]
    _installed = True
    return COUNTERS


# -- history ------------------------------------------------------------------------------------------------
def payload_sizes(events: Sequence[Mapping[str, Any]]) -> int:
    """The largest state input/output, task parameters or task result (UTF-8 bytes) in ``events``."""
    largest = 0
    for event in events:
        for key, details in event.items():
            if not key.endswith("EventDetails") or not isinstance(details, Mapping):
                continue
            for name in PAYLOAD_FIELDS:
                value = details.get(name)
                if isinstance(value, str):
                    largest = max(largest, len(value.encode()))
    return largest


def history(emu: Emulator, execution_arn: str) -> list[dict[str, Any]]:
    """The events ``GetExecutionHistory`` returns, read from moto's model before it serialises them
    (moto's response serialiser takes minutes for a 25,000-event history; the events are the same)."""
    from moto.stepfunctions.responses import get_backend

    backend = get_backend(emu.stack.account_id, emu.region)
    return list(backend.get_execution_history(execution_arn)["events"])


def states_entered(events: Sequence[Mapping[str, Any]]) -> int:
    return sum(1 for e in events if str(e.get("type", "")).endswith("StateEntered"))


# -- the world ---------------------------------------------------------------------------------------------
def group_sizes(sizes: Sequence[int], regions: int) -> list[int]:
    """Accounts per OU so that the first k OUs hold ``sizes[k-1]`` targets (``regions`` per account)."""
    out, previous = [], 0
    for size in sorted(sizes):
        if size % regions or size <= previous:
            raise ValueError(f"target counts must be increasing multiples of {regions}, got {sorted(sizes)}")
        out.append((size - previous) // regions)
        previous = size
    return out


@dataclass
class Bench:
    """An emulated world with the bench operation, its synthetic organization and the three designs."""

    emu: Emulator
    machines: dict[str, str]  # design -> state machine ARN
    ous: list[str]  # OU ids, in the order of ``sizes``
    sizes: list[int]
    settings: OperationSettings = field(default_factory=OperationSettings)
    last_cpu: float = 0.0  # CPU seconds of this process from the last run's start to its end (not its figures)

    def inline_with_concurrency(self, concurrency: int) -> str:
        """Our state machine, inline path, with the Map's ``MaxConcurrency`` set: a design name for ``run``."""
        design = f"inline-c{concurrency}"
        if design not in self.machines:
            settings = _with(self.settings, distributed_threshold=INLINE_ONLY, max_concurrency=concurrency)
            self.machines[design] = create_machine(self.emu, design, _definition(self.emu, settings))
        return design

    def input_for(self, targets: int) -> dict[str, Any]:
        k = self.sizes.index(targets) + 1
        return {"Regions": list(REGIONS), "Accounts": {"OrganizationalUnits": self.ous[:k]}}

    def run(self, design: str, targets: int, timeout: float = 3600.0) -> tuple[Any, Figures]:
        emu = self.emu
        COUNTERS.reset()
        emu.router.reset_counts()
        cpu = time.process_time()
        arn = self.start(design, self.input_for(targets))
        ex = emu.wait(arn, timeout)
        self.last_cpu = time.process_time() - cpu
        figures = self.figures(design, ex, targets)
        COUNTERS.reset(recording=False)
        if ex.status != "SUCCEEDED":  # moto enforces some quotas (States.DataLimitExceeded): a measured breach
            figures = replace(figures, failure=f"{ex.status} {ex.error}")
        return ex, figures

    def start(self, design: str, execution_input: Mapping[str, Any]) -> str:
        emu = self.emu
        name = emu._name(f"{design}-{BENCH_OPERATION}")
        sfn = client(emu.session(), "stepfunctions")
        return str(
            sfn.start_execution(stateMachineArn=self.machines[design], name=name, input=json.dumps(execution_input))[
                "executionArn"
            ]
        )

    def figures(self, design: str, ex: Any, targets: int) -> Figures:
        emu = self.emu
        parent = history(emu, ex.arn)
        with COUNTERS.lock:
            managers = list(COUNTERS.map_runs)
            counts = (COUNTERS.s3_puts, COUNTERS.s3_gets, COUNTERS.dynamodb_writes)
        child_events: list[dict[str, Any]] = []
        for manager in managers:
            child_events.extend(manager.get_event_history())
        children = self.child_executions(ex.arn) if managers else 0
        # Each child records its own start and end, which moto's shared event manager leaves out.
        largest_child = -(-len(child_events) // children) + 2 if children else 0
        return Figures(
            design=design,
            targets=targets,
            largest_payload=max(payload_sizes(parent), payload_sizes(child_events)),
            parent_events=len(parent),
            child_executions=children,
            largest_child_events=largest_child,
            parent_transitions=states_entered(parent),
            child_transitions=states_entered(child_events),
            lambda_invocations=sum(emu.router.invocations.values()),
            dynamodb_writes=counts[2],
            s3_puts=counts[0],
            s3_gets=counts[1],
        )

    def child_executions(self, execution_arn: str) -> int:
        sfn = client(self.emu.session(), "stepfunctions")
        total = 0
        for run in sfn.list_map_runs(executionArn=execution_arn)["mapRuns"]:
            total += sfn.describe_map_run(mapRunArn=run["mapRunArn"])["executionCounts"]["total"]
        return total


def _definition(emu: Emulator, settings: OperationSettings) -> str:
    s = emu.stack
    variables = stack_module.definition_variables(
        BENCH_OPERATION,
        settings,
        fanout_arn=s.functions["fanout"],
        worker_arn=s.functions[f"worker:{BENCH_OPERATION}"],
        report_arn=s.functions["report"],
        status_table=s.status_table,
        data_bucket=s.data_bucket,
        state_machine=stack_module.state_machine_name("orgops", BENCH_OPERATION),
        child_execution_type=stack_module.EMULATOR_CHILD_EXECUTION_TYPE,
    )
    return asl.render_file(variables)


def seed_definition(emu: Emulator) -> str:
    s = emu.stack
    return asl.render(
        SEED_TEMPLATE.read_text(encoding="utf-8"),
        {
            "fanout_function_arn": s.functions["fanout"],
            "worker_function_arn": s.functions[f"worker:{BENCH_OPERATION}"],
            "report_function_arn": s.functions["report"],
            "status_table": s.status_table,
            "operation": BENCH_OPERATION,
            "default_regions": ",".join(REGIONS),
        },
    )


def create_machine(emu: Emulator, design: str, definition: str) -> str:
    """A Standard state machine ``bench-<design>`` with the bench operation's role; its ARN."""
    sfn = client(emu.session(), "stepfunctions")
    role = emu.stack.roles[f"state_machine_role:{BENCH_OPERATION}"]
    arn = sfn.create_state_machine(name=f"bench-{design}", definition=definition, roleArn=role, type="STANDARD")
    return str(arn["stateMachineArn"])


def deploy_designs(emu: Emulator, settings: OperationSettings) -> dict[str, str]:
    """Three state machines for the bench operation: the seed, ours forced inline, ours forced distributed."""
    definitions = {
        "seed": seed_definition(emu),
        "inline": _definition(emu, _with(settings, distributed_threshold=INLINE_ONLY)),
        "distributed": _definition(emu, _with(settings, distributed_threshold=DISTRIBUTED_ALWAYS)),
    }
    return {design: create_machine(emu, design, text) for design, text in definitions.items()}


def _with(settings: OperationSettings, **changes: Any) -> OperationSettings:
    return replace(settings, **changes)


@contextlib.contextmanager
def bench_world(sizes: Sequence[int], settings: OperationSettings | None = None) -> Iterator[Bench]:
    """The emulator with the bench operation deployed and an organization of ``max(sizes)`` targets.

    ``bench-echo`` is in the operation registry only inside this block: tests share the process,
    and the registry is what Terraform's example and the catalog are checked against.
    """
    added = BENCH_OPERATION not in operations.REGISTRY
    register_bench_operation()
    try:
        # 5 children x 20 at once: the worker reserves them (Terraform refuses a Map wider than it).
        settings = settings or OperationSettings(
            regions=REGIONS, batch_size=BATCH_SIZE, worker_reserved_concurrency=100
        )
        groups = group_sizes(sizes, len(settings.regions))
        with Emulator.in_process(operations=[BENCH_OPERATION], settings=StackSettings(defaults=settings)) as emu:
            # The bench measures the state machine; the fanout's listing at AWS's request rates is
            # benchmarks/fanout_scale.py's (at 5 requests a second, 200 accounts' OU lookups alone
            # would take a minute of every run here).
            emu.router.limits.request_rates = {}
            install_counters()
            specs = [AccountSpec(f"bench-{k}-{i:05d}", ou=f"Bench{k}") for k, n in enumerate(groups) for i in range(n)]
            started = time.monotonic()
            world = emu.build_organization(specs)
            ous = [world.ous[f"Bench{k}"] for k in range(len(groups))]
            print(f"# organization: {len(specs)} accounts in {time.monotonic() - started:.0f} s", flush=True)
            yield Bench(
                emu=emu, machines=deploy_designs(emu, settings), ous=ous, sizes=sorted(sizes), settings=settings
            )
    finally:
        if added:
            operations.REGISTRY.pop(BENCH_OPERATION, None)
