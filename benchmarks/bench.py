"""``make bench``: payload, history, cost and wall time of the seed's design and of our two paths.

    python -m benchmarks.bench                      # the full run (minutes), writes benchmarks/results.md
    python -m benchmarks.bench --sizes 40,200 --wall-targets 40 --out /tmp/r.md   # a quick one

Measured in the emulator (``orgops.emulator``: moto runs the rendered state machines, the real
handlers answer the Lambda invocations) for every size in ``--sizes``; extrapolated to 10,000 and
100,000 targets from the two largest measured runs (``benchmarks.model.extrapolate``). Not a test:
nothing here asserts, it reports (and says plainly when a goal is not met).
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks import des, model, peer
from benchmarks.measure import BATCH_SIZE, BENCH_OPERATION, REGIONS, Bench, bench_world, history

RESULTS = Path(__file__).resolve().parent / "results.md"
SIZES = (100, 200, 2000)
REPORTED = (100, 1_000, 10_000, 100_000)
WALL_TARGETS = 200
LATENCY = 0.2
# A second, longer latency (no sequential loop: its ideal is plain targets x latency): when each
# worker waits longer than the emulator's CPU per wave, the Map's concurrency shows as it would on AWS.
LONG_LATENCY = 2.0
INLINE_CONCURRENCY = 40  # the operation module's default max_concurrency
# Map concurrencies for the sweep: where the emulator's CPU per target, not the design, sets the ratio.
SWEEP_CONCURRENCY = (5, 10, 20, 40)


@dataclass(frozen=True)
class WallTime:
    runner: str
    targets: int
    concurrency: int
    seconds: float
    cpu: float  # CPU seconds the process spent meanwhile (every thread: interpreter, handlers, moto)
    latency: float = LATENCY

    @property
    def ideal(self) -> float:
        return model.ideal_seconds(self.targets, self.concurrency, self.latency)

    @property
    def ratio(self) -> float:
        return self.seconds / self.ideal if self.ideal else math.inf


def measure_all(bench: Bench, sizes: Sequence[int]) -> list[model.Figures]:
    rows = []
    for design in model.DESIGNS:
        for n in sizes:
            started = time.monotonic()
            _ex, figures = bench.run(design, n)
            print(f"# measured {design} {n} targets in {time.monotonic() - started:.0f} s: {figures}", flush=True)
            rows.append(figures)
    return rows


def table_rows(measured: Sequence[model.Figures]) -> list[model.Figures]:
    """Every reported size of every design: measured where it was, extrapolated otherwise."""
    out = []
    groups = model.by_design(measured)
    for design in model.DESIGNS:
        runs = {f.targets: f for f in groups[design]}
        for n in sorted(set(REPORTED) | set(runs)):
            out.append(runs.get(n) or model.extrapolate(groups[design], n))
    return out


# -- wall time -----------------------------------------------------------------------------------------------
@functools.cache
def _original_work() -> Callable[..., Any]:
    from orgops.handlers import worker

    return worker.work


def inject_latency(seconds: float) -> None:
    """Every worker invocation (state machine or ``orgops local``) sleeps ``seconds`` first."""
    from orgops.handlers import worker

    original = _original_work()

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(seconds)
        return original(*args, **kwargs)

    worker.work = slow  # type: ignore[assignment]


def remove_latency() -> None:
    from orgops.handlers import worker

    worker.work = _original_work()  # type: ignore[assignment]


def local_run(bench: Bench, targets: int, concurrency: int) -> tuple[float, float]:
    """``orgops local``'s thread pool with the worker's role (as the Lambda has it); seconds."""
    from orgops.cli.local import run_local

    emu = bench.emu
    s = emu.stack
    session = emu.router.function_session(s.account_id, s.region, s.roles["readonly_lambda_role"], "bench-local")
    with tempfile.TemporaryDirectory(prefix="orgops-bench-") as tmp:
        started, cpu = time.monotonic(), time.process_time()
        run = run_local(
            BENCH_OPERATION,
            bench.input_for(targets),
            session,
            Path(tmp) / "out",
            Path(tmp),
            f"bench-local-{concurrency}-{time.time_ns()}",
            concurrency=concurrency,
            org_role_arn=s.org_reader_role_arn,
            default_regions=",".join(REGIONS),
        )
        seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    if run.summary["Succeeded"] != targets:
        raise RuntimeError(f"orgops local: {run.summary}")
    return seconds, cpu


def machine_run(bench: Bench, design: str, targets: int) -> tuple[float, float, float]:
    """(the execution's seconds from its start to its stop as the emulator records them, the Map
    state's seconds from its history timestamps, CPU seconds of the process meanwhile). Reading the
    history and counting afterwards is the bench's work, not the execution's: neither is included."""
    ex, figures = bench.run(design, targets)
    if figures.failure:
        raise RuntimeError(f"{design} with {targets} targets: {figures.failure}")
    events = history(bench.emu, ex.arn)
    entered = next(e["timestamp"] for e in events if e["type"] == "MapStateEntered")
    exited = next(e["timestamp"] for e in events if e["type"] == "MapStateExited")
    return ex.seconds, (_when(exited) - _when(entered)).total_seconds(), bench.last_cpu


def _when(value: Any) -> datetime:
    """A history timestamp: moto's model keeps ISO 8601 strings, the API returns datetimes."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def wall_times(bench: Bench, targets: int, latency: float = LATENCY, sequential: bool = True) -> list[WallTime]:
    inject_latency(latency)
    try:
        inline = machine_run(bench, "inline", targets)
        distributed = machine_run(bench, "distributed", targets)
        children = math.ceil(targets / BATCH_SIZE)
        out = [
            *(
                [WallTime("sequential loop (orgops local, 1 thread)", targets, 1, *local_run(bench, targets, 1))]
                if sequential
                else []
            ),
            WallTime(
                f"thread pool (orgops local, {INLINE_CONCURRENCY} threads)",
                targets,
                INLINE_CONCURRENCY,
                *local_run(bench, targets, INLINE_CONCURRENCY),
            ),
            WallTime("state machine, inline path, whole execution", targets, INLINE_CONCURRENCY, inline[0], inline[2]),
            WallTime("state machine, inline path, Map state only", targets, INLINE_CONCURRENCY, inline[1], math.nan),
            WallTime(
                f"state machine, distributed path ({children} children x {BATCH_SIZE}), whole execution",
                targets,
                targets,
                distributed[0],
                distributed[2],
            ),
            WallTime(
                f"state machine, distributed path ({children} children x {BATCH_SIZE}), Map state only",
                targets,
                targets,
                distributed[1],
                math.nan,
            ),
        ]
    finally:
        remove_latency()
    out = [replace(w, latency=latency) for w in out]
    for w in out:
        print(f"# wall time {w}", flush=True)
    return out


def concurrency_sweep(bench: Bench, targets: int, latency: float = LATENCY) -> list[WallTime]:
    """The inline state machine and the thread pool at each of ``SWEEP_CONCURRENCY``."""
    inject_latency(latency)
    out = []
    try:
        for concurrency in SWEEP_CONCURRENCY:
            whole, map_state, cpu = machine_run(bench, bench.inline_with_concurrency(concurrency), targets)
            out += [
                WallTime(
                    f"thread pool (orgops local, {concurrency} threads)",
                    targets,
                    concurrency,
                    *local_run(bench, targets, concurrency),
                    latency,
                ),
                WallTime("state machine, inline path, whole execution", targets, concurrency, whole, cpu, latency),
                WallTime(
                    "state machine, inline path, Map state only", targets, concurrency, map_state, math.nan, latency
                ),
            ]
            for w in out[-3:]:
                print(f"# sweep {w}", flush=True)
    finally:
        remove_latency()
    return out


def sweep_table(rows: Sequence[WallTime]) -> str:
    out = [
        "| concurrency | ideal s | thread pool s (ratio) | state machine, Map state s (ratio) "
        "| whole execution s (ratio) | CPU s of the execution | CPU / ideal |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for c in sorted({w.concurrency for w in rows}):
        pool = next(w for w in rows if w.concurrency == c and w.runner.startswith("thread pool"))
        map_state = next(w for w in rows if w.concurrency == c and w.runner.endswith("Map state only"))
        whole = next(w for w in rows if w.concurrency == c and w.runner.endswith("whole execution"))
        out.append(
            f"| {c} | {whole.ideal:.1f} | {pool.seconds:.1f} ({pool.ratio:.2f}x) "
            f"| {map_state.seconds:.1f} ({map_state.ratio:.2f}x) | {whole.seconds:.1f} ({whole.ratio:.2f}x) "
            f"| {whole.cpu:.1f} | {whole.cpu / whole.ideal:.2f} |"
        )
    return "\n".join(out)


def wall_table(rows: Sequence[WallTime]) -> str:
    out = [
        "| latency | runner | targets | concurrency | wall s | ideal s | ratio to ideal | overhead ms per target | "
        "CPU s (whole process) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for w in rows:
        overhead = (w.seconds - w.ideal) / w.targets * 1000
        out.append(
            f"| {w.latency * 1000:.0f} ms | {w.runner} | {w.targets} | {w.concurrency} | {w.seconds:.1f} "
            f"| {w.ideal:.1f} | {w.ratio:.2f}x "
            f"| {overhead:.1f} | {'' if math.isnan(w.cpu) else f'{w.cpu:.1f}'} |"
        )
    return "\n".join(out)


# -- goals ----------------------------------------------------------------------------------------------------
def goals(
    rows: Sequence[model.Figures],
    measured: Sequence[model.Figures],
    walls: Sequence[WallTime],
    sweep: Sequence[WallTime] = (),
) -> list[str]:
    by = {(f.design, f.targets): f for f in rows}
    out = []
    big = by[("distributed", 100_000)]
    broken = model.breaches(big)
    out.append(
        f"- **100,000 targets in one execution, no limit reached** (distributed path, extrapolated): "
        f"{'MET' if not broken else 'NOT MET: ' + '; '.join(broken)} — largest payload {big.largest_payload:,} B, "
        f"parent history {big.parent_events:,} events, largest child history {big.largest_child_events:,} events, "
        f"{big.child_executions:,} child executions."
    )
    seed, ours = by[("seed", 1_000)], by[("distributed", 1_000)]
    a, b = model.per_thousand(seed, BATCH_SIZE), model.per_thousand(ours, BATCH_SIZE)
    even = model.break_even_worker_seconds(seed, ours, BATCH_SIZE)
    even_text = (
        "at any worker duration" if even == math.inf else "never" if even is None else f"up to {even:.2f} s per worker"
    )
    out.append(
        f"- **Cost per 1,000 targets at most a quarter of the seed's** (at 1,000 targets): distributed "
        f"${b:.4f} vs seed ${a:.4f} = {b / a:.2f} of it: {'MET' if b <= a / 4 else 'NOT MET'} with the assumed "
        f"worker of {model.WORKER_SECONDS} s at {model.WORKER_MEMORY_GB * 1024:.0f} MB; the quarter holds {even_text} "
        f"(the worker's compute is the same in every design)."
    )
    for latency in sorted({w.latency for w in walls}):
        machine = [w for w in walls if w.runner.startswith("state machine") and w.latency == latency]
        if not machine:
            continue
        best = min(machine, key=lambda w: w.ratio)
        whole = min((w for w in machine if w.runner.endswith("whole execution")), key=lambda w: w.ratio)
        verdict = "MET" if best.ratio <= 1.5 else "NOT MET"
        label = "the goal" if latency == LATENCY else "for comparison, not the goal's setting"
        out.append(
            f"- **State machine within 1.5x of the ideal wall time** ({label}: emulator, {best.targets} targets, "
            f"{latency * 1000:.0f} ms per worker): best {best.ratio:.2f}x ({best.runner}), whole execution "
            f"{whole.ratio:.2f}x: {verdict} for the Map state"
            f"{'' if whole.ratio <= 1.5 else ', NOT MET for the whole execution'}."
        )
    if sweep:
        out.append(goals_from_sweep(sweep))
    return out


def goals_from_sweep(sweep: Sequence[WallTime]) -> str:
    """The goal line for the concurrency sweep: where the Map state is within 1.5x, and the CPU floor."""
    within = [w.concurrency for w in sweep if w.runner.endswith("Map state only") and w.ratio <= 1.5]
    cpu = {w.concurrency: w.cpu / w.targets * 1000 for w in sweep if w.runner.endswith("whole execution")}
    at = ", ".join(map(str, within)) if within else f"none of {', '.join(map(str, SWEEP_CONCURRENCY))}"
    return (
        f"- Concurrency sweep ({sweep[0].targets} targets, {sweep[0].latency * 1000:.0f} ms): the Map state is "
        f"within 1.5x at concurrency {at}; "
        f"the execution costs the emulator {min(cpu.values()):.0f}-{max(cpu.values()):.0f} ms of CPU per target "
        "in one Python process, so its wall time cannot drop below that CPU time however high the concurrency."
    )


def first_breaches(measured: Sequence[model.Figures]) -> list[str]:
    out = []
    for design, runs in model.by_design(measured).items():
        n = model.first_breach(runs)
        if n is None:
            out.append(f"- {design}: no limit below 1,000,000 targets.")
            continue
        broken = "; ".join(model.breaches(model.extrapolate(runs, n)))
        out.append(f"- {design}: breaks at {n:,} targets ({broken}).")
    return out


def render(
    measured: Sequence[model.Figures],
    walls: Sequence[WallTime],
    sizes: Sequence[int],
    seconds: float,
    load: str = "",
    sweep: Sequence[WallTime] = (),
) -> str:
    rows = table_rows(measured)
    return "\n".join(
        [
            "# orgops benchmark",
            "",
            f"`make bench` ({seconds / 60:.1f} min). Designs: seed = {model.DESIGN_TITLES['seed']} "
            "(`benchmarks/seed.asl.json`); inline = our state machine with the distributed threshold out of reach; "
            "distributed = our state machine with every run distributed "
            f"(batches of {BATCH_SIZE} targets per child). "
            f"Synthetic organization: accounts x {len(REGIONS)} regions; the worker runs the real worker "
            "code with the `bench-echo` operation (one row per target, no AWS call of its own).",
            "",
            "## Goals",
            "",
            *goals(rows, measured, walls, sweep),
            "",
            "## Payload, history, requests and cost per run",
            "",
            f"Measured in the emulator at {', '.join(f'{n:,}' for n in sizes)} targets; `*` = extrapolated. "
            "Method: each figure is `fixed + per_target x targets`, the line through the two largest measured runs "
            "(the figures are linear in the target count: per-target states, items and requests; fixed parent "
            "states). Payload = the largest state input/output, task parameters or task result in any history "
            "event (parent and children). Parent history = the started execution's `GetExecutionHistory` events "
            "(read from moto's model: its serialiser takes minutes for 25,000 events). "
            "Children (distributed): moto runs them inside the parent and drops their histories; the bench keeps "
            "moto's Map Run event log, divides it by the child count and adds the 2 start/end events each child "
            "records. Billed transitions = states the parent enters (inline-Map iterations' states included) "
            "+ one per child execution (AWS's rule for Distributed Map); children are Express on AWS (STANDARD "
            "in moto, which accepts nothing else) and billed per request and GB-second, not per transition. "
            "S3/DynamoDB = requests counted on moto's request path (handlers and the state machine).",
            "",
            model.table(rows, BATCH_SIZE),
            "",
            "Where each design first breaks a limit (from the same per-target lines):",
            "",
            *first_breaches(measured),
            "",
            "## Cost breakdown (USD per run)",
            "",
            model.cost_breakdown(rows, BATCH_SIZE),
            "",
            "Prices (us-east-1, `benchmarks/model.py` keeps each with its source): Step Functions Standard "
            f"${model.SFN_STANDARD_PER_TRANSITION * 1000:.3f} per 1,000 transitions; Express "
            f"${model.SFN_EXPRESS_PER_REQUEST * 1e6:.2f} per million requests and ${model.SFN_EXPRESS_PER_GB_SECOND} "
            f"per GB-second (64 MB, 100 ms units); Lambda ${model.LAMBDA_PER_REQUEST * 1e6:.2f} per million requests "
            f"and ${model.LAMBDA_PER_GB_SECOND} per GB-second; DynamoDB on-demand "
            f"${model.DYNAMODB_PER_WRITE * 1e6:.3f} per million writes; S3 ${model.S3_PER_PUT * 1000:.3f} per 1,000 "
            f"PUT and ${model.S3_PER_GET * 1000:.4f} per 1,000 GET. Assumptions (not measurable in the emulator): "
            f"a worker invocation takes {model.WORKER_SECONDS} s at {model.WORKER_MEMORY_GB * 1024:.0f} MB in every "
            f"design; fanout and report {model.FANOUT_REPORT_SECONDS} s each; an Express child lasts its workers "
            f"plus {model.CHILD_OVERHEAD_SECONDS} s.",
            "",
            "## Wall time with a fixed worker latency",
            "",
            f"Every worker invocation sleeps {LATENCY * 1000:.0f} ms (the goal's setting), then "
            f"{LONG_LATENCY * 1000:.0f} ms (for comparison) before its real work (a wrapper around "
            "`orgops.handlers.worker.work`, so all runners pay it alike). Ideal = `ceil(targets / concurrency) x "
            "latency`. The emulator runs everything in one Python process on this machine's cores: the "
            "interpreter's and handlers' CPU time per target is added to the ideal. Load average of the "
            f"machine when the wall-time runs ended: {load} (on {os.cpu_count()} cores; other work shares them, "
            "and the CPU column is this process alone).",
            "",
            wall_table(walls),
            "",
            *(
                [
                    f"### Concurrency sweep ({sweep[0].targets} targets, {sweep[0].latency * 1000:.0f} ms per worker)",
                    "",
                    "The inline path with the Map's `MaxConcurrency` at each value, and `orgops local` with as many "
                    "threads. Whole execution = the execution's start to stop as the emulator records them (reading "
                    "its history for the tables above is not included). CPU / ideal: the CPU-seconds the execution "
                    "cost this process, over the ideal wall time; Python runs one thread at a time, so the wall "
                    "time is roughly at least that CPU time, and the ratio at least max(1, CPU / ideal).",
                    "",
                    sweep_table(sweep),
                    "",
                ]
                if sweep
                else []
            ),
        ]
    )


# -- model of a run on AWS (benchmarks/des.py) ---------------------------------------------------------------
def aws_model_section(walls: Sequence[WallTime], settings: Any) -> str:
    """The discrete-event model at AWS's quotas, and the same model beside the emulator's wall times."""
    return des.section(des.scenario_results(), des.cross_check(walls, settings))


# -- side by side with c7n-org (benchmarks/peer.py) ---------------------------------------------------------
def peer_section(repeat: int) -> str:
    """c7n-org, ``orgops local`` and the state machine on one served demo organization (own processes)."""
    lines, _problems = peer.markdown(repeat=repeat)  # the problems are in the lines too
    return "\n".join(lines)


# -- the fanout at 10,000 accounts, at AWS's rates (benchmarks/fanout_scale.py) --------------------------------
def fanout_scale_section(accounts: int) -> str:
    """Today's fanout, the fanout with the organization inventory, its refresh, and the accounts
    operation, on a simulated clock charging AWS's request rates: "Fanout at 10,000 accounts"."""
    from benchmarks import fanout_scale

    return "\n".join(fanout_scale.markdown(fanout_scale.measure(accounts)))


# -- main -----------------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(n) for n in SIZES), help="target counts to measure")
    parser.add_argument("--wall-targets", type=int, default=WALL_TARGETS, help="targets for the wall-time runs")
    parser.add_argument("--no-wall", action="store_true", help="skip the wall-time runs")
    parser.add_argument("--no-peer", action="store_true", help="skip the side by side with c7n-org")
    parser.add_argument("--peer-repeat", type=int, default=3, help="side by side: runs per runner, fastest counts")
    parser.add_argument(
        "--fanout-accounts", type=int, default=10_000, help="accounts of the fanout-at-scale section (0: skip it)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the markdown")
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    if len(sizes) < 2:
        parser.error("--sizes needs at least two target counts (extrapolation fits a line)")
    world_sizes = sorted(set(sizes) | ({args.wall_targets} if not args.no_wall else set()))
    started = time.monotonic()
    with bench_world(world_sizes) as bench:
        settings = bench.settings
        measured = measure_all(bench, sizes)
        walls, sweep = [], []
        if not args.no_wall:
            walls = wall_times(bench, args.wall_targets) + wall_times(
                bench, args.wall_targets, LONG_LATENCY, sequential=False
            )
            sweep = concurrency_sweep(bench, args.wall_targets)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    text = render(measured, walls, sizes, time.monotonic() - started, load, sweep)
    text += "\n" + aws_model_section([*walls, *sweep], settings)  # benchmarks/des.py
    text += "" if args.no_peer else "\n" + peer_section(args.peer_repeat)  # benchmarks/peer.py
    text += "" if not args.fanout_accounts else "\n" + fanout_scale_section(args.fanout_accounts)  # fanout_scale.py
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
