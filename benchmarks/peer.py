"""Side by side with c7n-org: one served organization, one question, three runners.

    python -m benchmarks.peer                       # prints the markdown section; exit 1 if the ids differ
    python -m benchmarks.peer --concurrency 8 --repeat 1

``orgops emulator --demo-org`` is started in its own process (moto over HTTP, the demo
organization seeded in ``REGIONS``), and the same question is asked of it by
- c7n-org (``C7N_ORG`` with its pinned ``C7N``, in a virtualenv of its own, ``.venv-c7n``, made on
  demand, never in ``.venv``), with ``--cache-period 0``: the policy ``POLICY`` (EBS volumes in
  state ``available``, as ``unused-ebs-volumes`` asks), an ``accounts.yml`` of the organization's
  active accounts: ``MEMBER_ROLE`` in each member, a ``profile:`` entry (the caller's own
  credentials) for the management account; ``C7N_ORG_PARALLEL`` worker processes;
- ``orgops local unused-ebs-volumes`` with ``--concurrency`` threads, ``--role-name MEMBER_ROLE``
  (the management account's targets with the caller's credentials, as ``orgops local`` does);
- the deployed state machine (its Map's ``MaxConcurrency``), once.

Each tool runs as a command in a process of its own, both talking HTTP to the same emulator; wall
time is the whole command, start-up included; CPU is the command's (its children included: c7n-org's
worker processes). The two CLIs use the same role; the state machine uses its deployed roles
(``operation-readonly``), which the account the member-roles StackSet never reached does not have:
its targets fail there, by the demo's design, so its ids are compared over the accounts it reached.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
C7N_VENV = ROOT / ".venv-c7n"
C7N_ORG = "c7n-org==0.6.52"
C7N = "c7n==0.9.53"  # the c7n that c7n-org 0.6.52 pins
OPERATION = "unused-ebs-volumes"
POLICY_NAME = "unused-ebs-volumes"
# The c7n policy equivalent to orgops.operations.unused_ebs_volumes: EBS volumes in state available.
POLICY = {"policies": [{"name": POLICY_NAME, "resource": "aws.ebs", "filters": [{"State": "available"}]}]}
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
SEEDED = ",".join(REGIONS)
CONCURRENCY = (1, 8, 39)
# Both CLIs' caller may assume it in every member; operation-readonly trusts only the worker Lambda's role.
MEMBER_ROLE = "OrganizationAccountAccessRole"
MANAGEMENT_PROFILE = "orgops-peer-management"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}  # the emulator's management account
GOAL = 0.5  # orgops local at most this fraction of c7n-org's wall time, at every concurrency
START_TIMEOUT = 600.0
RUN_TIMEOUT = 900.0

ResourceId = tuple[str, str, str]  # (account id, region, volume id)


@dataclass(frozen=True)
class Run:
    runner: str  # "c7n-org", "orgops local" or "state machine"
    concurrency: int
    seconds: float
    cpu: float  # CPU seconds of the command and its children (nan for the state machine: it runs in the emulator)
    server_cpu: float  # CPU seconds the emulator's process spent meanwhile
    ids: frozenset[ResourceId]
    failed_accounts: frozenset[str] = field(default_factory=frozenset)


# -- the pure parts: inputs for c7n-org, reading each runner's answer, comparing ----------------------------
def _yaml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a YAML double-quoted scalar


def accounts_yml(
    accounts: Mapping[str, str],
    management_account: str,
    role_name: str = MEMBER_ROLE,
    management_profile: str = MANAGEMENT_PROFILE,
    exclude: Iterable[str] = (),
) -> str:
    """c7n-org's accounts file for ``accounts`` (name -> id), sorted by name: ``role_name`` (as an
    ARN) in every member account, ``management_profile`` for the management account, which has no
    member role of its own (c7n-org's ``profile:`` entry). Names in ``exclude`` are left out."""
    skip = set(exclude)
    lines = ["accounts:"]
    for name, account_id in sorted(accounts.items()):
        if name in skip:
            continue
        lines += [f"- account_id: {_yaml_string(account_id)}", f"  name: {_yaml_string(name)}"]
        if account_id == management_account:
            lines.append(f"  profile: {_yaml_string(management_profile)}")
        else:
            lines.append(f"  role: {_yaml_string(f'arn:aws:iam::{account_id}:role/{role_name}')}")
    return "\n".join(lines) + "\n"


def policy_yml() -> str:
    return json.dumps(POLICY, indent=2) + "\n"  # JSON is YAML


def credentials_file(profile: str = MANAGEMENT_PROFILE) -> str:
    """An AWS shared credentials file with ``profile``: the emulator's management credentials."""
    return (
        f"[{profile}]\naws_access_key_id = {CREDENTIALS['aws_access_key_id']}\n"
        f"aws_secret_access_key = {CREDENTIALS['aws_secret_access_key']}\n"
    )


def c7n_ids(output_dir: Path, accounts: Mapping[str, str], policy: str = POLICY_NAME) -> frozenset[ResourceId]:
    """The volumes c7n-org found: ``<output>/<account name>/<region>/<policy>/resources.json``."""
    found = set()
    for path in output_dir.glob(f"*/*/{policy}/resources.json"):
        name, region = path.parent.parent.parent.name, path.parent.parent.name
        for item in json.loads(path.read_text(encoding="utf-8")):
            found.add((accounts[name], region, str(item["VolumeId"])))
    return frozenset(found)


def report_ids(rows: Iterable[Mapping[str, str]]) -> frozenset[ResourceId]:
    """The volumes of an orgops ``report.csv`` (its rows as dicts)."""
    return frozenset((r["account_id"], r["region"], r["volume_id"]) for r in rows)


def read_report(path: Path) -> frozenset[ResourceId]:
    with path.open(newline="", encoding="utf-8") as f:
        return report_ids(csv.DictReader(f))


def id_problems(runs: Sequence[Run]) -> list[str]:
    """Where a runner's resource ids differ from c7n-org's (each run against the first c7n-org run;
    a runner that failed in some accounts is compared over the others)."""
    reference = next((r for r in runs if r.runner == "c7n-org"), None)
    if reference is None:
        return ["no c7n-org run to compare with"]
    problems = []
    for run in runs:
        expected = frozenset(i for i in reference.ids if i[0] not in run.failed_accounts)
        mine = frozenset(i for i in run.ids if i[0] not in reference.failed_accounts)
        if mine != expected:
            problems.append(
                f"{run.runner} at concurrency {run.concurrency}: {len(expected - mine)} ids only in c7n-org's answer, "
                f"{len(mine - expected)} only in its own (e.g. {sorted(expected ^ mine)[:3]})"
            )
    return problems


def _ratio(ours: Run, theirs: Run) -> float:
    return ours.seconds / theirs.seconds if theirs.seconds else float("inf")


def _cpu(value: float) -> str:
    return "-" if value != value else f"{value:.1f}"  # nan: not measurable


def section(
    runs: Sequence[Run],
    *,
    accounts: int,
    targets: int,
    machine_concurrency: int | None = None,
    account_names: Mapping[str, str] | None = None,
    every_run: Sequence[Run] | None = None,
) -> list[str]:
    """The markdown section "Side by side with c7n-org" (lines), from the measured ``runs`` (the
    fastest of each runner and level); ids are compared over ``every_run`` (default: ``runs``)."""
    names = account_names or {}
    c7n = {r.concurrency: r for r in runs if r.runner == "c7n-org"}
    ours = {r.concurrency: r for r in runs if r.runner == "orgops local"}
    machine = next((r for r in runs if r.runner == "state machine"), None)
    levels = sorted(set(c7n) & set(ours))
    ratios = {c: _ratio(ours[c], c7n[c]) for c in levels}
    met = bool(levels) and all(x <= GOAL for x in ratios.values())
    problems = id_problems(every_run or runs)
    reference = c7n[levels[0]] if levels else None
    lines = [
        "## Side by side with c7n-org",
        "",
        f"`benchmarks/peer.py`: `orgops emulator --demo-org` served in its own process (moto over HTTP), "
        f"{accounts} active accounts x {len(REGIONS)} regions ({', '.join(REGIONS)}) = {targets} targets, asked "
        f"for the unused EBS volumes by {C7N_ORG} ({C7N}, its own virtualenv `.venv-c7n`, `--cache-period 0`, "
        f"policy `resource: aws.ebs, filters: [{{State: available}}]`, `C7N_ORG_PARALLEL` worker processes), by "
        f"`orgops local {OPERATION}` (`--concurrency` threads) and by the deployed state machine. Both CLIs assume "
        f"`{MEMBER_ROLE}` in the members and use the caller's own credentials in the management account "
        "(c7n-org: a `profile:` entry; orgops local: its default there). Wall time = the whole command, start-up "
        "included; CPU = the command and its child processes; the emulator's CPU meanwhile is its own column "
        f"(all of it shares this machine's {os.cpu_count()} cores).",
        "",
        "| concurrency | c7n-org wall s (CPU s) | orgops local wall s (CPU s) | orgops / c7n-org | emulator CPU s "
        "(c7n-org / orgops) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in levels:
        lines.append(
            f"| {c} | {c7n[c].seconds:.1f} ({_cpu(c7n[c].cpu)}) | {ours[c].seconds:.1f} ({_cpu(ours[c].cpu)}) "
            f"| {ratios[c]:.2f}x | {c7n[c].server_cpu:.1f} / {ours[c].server_cpu:.1f} |"
        )
    if machine is not None:
        gone = sorted(names.get(a, a) for a in machine.failed_accounts)
        failed = f", its targets failed in {', '.join(gone)}" if gone else ""
        ratio = f"{_ratio(machine, c7n[levels[-1]]):.2f}x of c7n-org at {levels[-1]}" if levels else "-"
        lines += [
            "",
            f"State machine (inline Map, `MaxConcurrency` {machine_concurrency or '?'}), one execution: "
            f"{machine.seconds:.1f} s from start to stop ({ratio}), {machine.server_cpu:.1f} CPU-s of the emulator"
            f"{failed} (the account the member-roles StackSet never reached: no `operation-readonly` there).",
        ]
    lines += [
        "",
        f"- **orgops local at most {GOAL}x c7n-org's wall time at every concurrency**: "
        f"{'MET' if met else 'NOT MET'} (" + ", ".join(f"{c}: {ratios[c]:.2f}x" for c in levels) + ").",
        (
            f"- **Identical resource ids**: yes, {len(reference.ids) if reference else 0} volumes, every run of every "
            "runner (the state machine's over the accounts it reached)."
            if not problems
            else "- **Identical resource ids: NO**: " + "; ".join(problems)
        ),
        "",
    ]
    return lines


# -- measuring --------------------------------------------------------------------------------------------
def ensure_c7n_venv(path: Path = C7N_VENV) -> Path:
    """``path/bin/c7n-org``, installing ``C7N_ORG`` and ``C7N`` into a virtualenv at ``path`` first if needed."""
    exe = path / "bin" / "c7n-org"
    if exe.exists():
        return exe
    # Our own commands and pinned packages only (no user input): S603 does not apply.
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(path)], check=True)  # noqa: S603
    (path / ".gitignore").write_text("*\n", encoding="utf-8")  # as Python 3.13's venv writes it
    pip = [str(path / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)  # noqa: S603
    subprocess.run([*pip, C7N_ORG, C7N], check=True)  # noqa: S603
    return exe


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without any AWS setting of the user's, plus the emulator's credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=CREDENTIALS["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=CREDENTIALS["aws_secret_access_key"],
        AWS_DEFAULT_REGION=REGIONS[0],
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        PYTHONPATH=str(ROOT / "lambda_src"),
    )
    env.update(extra)
    return env


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a running process, from /proc (nan where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Served:
    """The served emulator: its process and the JSON line it printed."""

    process: subprocess.Popen[str]
    line: dict[str, Any]

    @property
    def endpoint(self) -> str:
        return str(self.line["endpoint"])

    @property
    def accounts(self) -> dict[str, str]:
        return dict(self.line["accounts"])

    @property
    def management_account(self) -> str:
        return str(self.line["account_id"])

    def cpu(self) -> float:
        return process_cpu(self.process.pid)


def _read_line(stream: IO[str], timeout: float) -> str:
    import selectors

    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise TimeoutError(f"the emulator printed nothing in {timeout:.0f} s")
    return stream.readline()


@contextlib.contextmanager
def served_demo(stderr: Path) -> Iterator[Served]:
    """``orgops emulator --port 0 --demo-org`` seeded in ``REGIONS``, stopped (SIGTERM) on the way out."""
    with stderr.open("w") as err:
        proc = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "orgops.cli", "emulator", "--port", "0", "--demo-org", "--seed-regions", SEEDED],
            env=clean_environment(),
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        try:
            assert proc.stdout is not None  # PIPE
            line = _read_line(proc.stdout, START_TIMEOUT)
            if not line:
                err.flush()
                raise RuntimeError(f"orgops emulator exited {proc.wait()}: {stderr.read_text()[-2000:]}")
            yield Served(proc, json.loads(line))
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # serve() stops on it and exits 0
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def timed(command: Sequence[str], env: Mapping[str, str], served: Served, cwd: Path) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds of the command and its children, the emulator's CPU seconds); a
    command that exits non-zero raises, with the end of what it printed."""
    cpu, server, started = _children_cpu(), served.cpu(), time.monotonic()
    done = subprocess.run(  # noqa: S603 - the bench's own commands
        command, env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"{Path(command[0]).name} {command[1:4]} exited {done.returncode}: {done.stderr[-2000:]}")
    return seconds, _children_cpu() - cpu, served.cpu() - server


def run_c7n(exe: Path, served: Served, concurrency: int, work: Path) -> Run:
    work.mkdir(parents=True)
    (work / "accounts.yml").write_text(accounts_yml(active_accounts(served), served.management_account))
    (work / "policy.yml").write_text(policy_yml())
    (work / "credentials").write_text(credentials_file())
    (work / "cache").mkdir()
    env = clean_environment(
        AWS_ENDPOINT_URL=served.endpoint,
        AWS_SHARED_CREDENTIALS_FILE=str(work / "credentials"),
        C7N_ORG_PARALLEL=str(concurrency),
        HOME=str(work),
    )
    env.pop("PYTHONPATH")
    regions = [a for r in REGIONS for a in ("-r", r)]
    command = [str(exe), "run", "-c", "accounts.yml", "-u", "policy.yml", "-s", "out", *regions]
    seconds, cpu, server = timed(
        [*command, "--cache-period", "0", "--cache-path", str(work / "cache")], env, served, work
    )
    return Run("c7n-org", concurrency, seconds, cpu, server, c7n_ids(work / "out", served.accounts))


def run_orgops_local(served: Served, concurrency: int, work: Path) -> Run:
    work.mkdir(parents=True)
    command = [sys.executable, "-m", "orgops.cli", "local", OPERATION, "--endpoint-url", served.endpoint]
    command += ["--region", REGIONS[0], "--regions", *REGIONS, "--role-name", MEMBER_ROLE]
    command += ["--concurrency", str(concurrency), "--out", str(work / "out"), "--output", "json"]
    seconds, cpu, server = timed(command, clean_environment(), served, work)
    return Run("orgops local", concurrency, seconds, cpu, server, read_report(work / "out" / "report.csv"))


def _client(served: Served, service: str) -> Any:
    import boto3

    session = boto3.Session(region_name=REGIONS[0], **CREDENTIALS)
    return session.client(service, endpoint_url=served.endpoint)


def map_concurrency(served: Served) -> int | None:
    sfn = _client(served, "stepfunctions")
    definition = json.loads(
        sfn.describe_state_machine(stateMachineArn=served.line["state_machines"][OPERATION])["definition"]
    )
    value = definition.get("States", {}).get("InlineMap", {}).get("MaxConcurrency")
    return int(value) if value is not None else None


def run_state_machine(served: Served) -> Run:
    """One execution of the deployed state machine: its own start-to-stop time, its report's ids."""
    sfn, s3 = _client(served, "stepfunctions"), _client(served, "s3")
    server = served.cpu()
    arn = sfn.start_execution(
        stateMachineArn=served.line["state_machines"][OPERATION], input=json.dumps({"Regions": list(REGIONS)})
    )["executionArn"]
    deadline = time.monotonic() + RUN_TIMEOUT
    while (desc := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        if time.monotonic() > deadline:
            raise TimeoutError(f"{arn} still running after {RUN_TIMEOUT:.0f} s")
        time.sleep(0.05)
    server = served.cpu() - server
    if desc["status"] != "SUCCEEDED":
        raise RuntimeError(f"{arn}: {desc['status']}")
    summary = json.loads(desc["output"])

    def rows(uri: str | None) -> list[dict[str, str]]:
        if not uri:
            return []
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        return list(csv.DictReader(body.splitlines()))

    failed = frozenset(r["account_id"] for r in rows(summary.get("ErrorsUri")))
    seconds = (desc["stopDate"] - desc["startDate"]).total_seconds()
    return Run("state machine", 0, seconds, float("nan"), server, report_ids(rows(summary["ReportUri"])), failed)


def active_accounts(served: Served) -> dict[str, str]:
    """The organization's ACTIVE accounts (c7n-org's accounts.yml lists no suspended one; orgops skips them)."""
    org = _client(served, "organizations")
    active = {
        a["Id"] for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"]
        if (a.get("State") or a.get("Status")) == "ACTIVE"
    }  # fmt: skip
    return {name: account for name, account in served.accounts.items() if account in active}


def best(runs: Sequence[Run]) -> Run:
    return min(runs, key=lambda r: r.seconds)


def measure(
    concurrency: Sequence[int] = CONCURRENCY, repeat: int = 3, log: IO[str] = sys.stderr
) -> tuple[list[Run], dict[str, Any]]:
    """Every runner at every concurrency, best of ``repeat`` (by wall time), and the facts (every
    run included, for the id comparison) that ``section`` takes."""
    exe = ensure_c7n_venv()
    with (
        tempfile.TemporaryDirectory(prefix="orgops-peer-") as tmp,
        served_demo(Path(tmp) / "emulator.stderr") as served,
    ):
        work = Path(tmp)
        accounts = active_accounts(served)
        runs: list[Run] = []
        every: list[Run] = []
        for c in concurrency:
            tries: dict[str, list[Run]] = {"c7n-org": [], "orgops local": []}
            for i in range(repeat):  # interleaved, so that the machine's load falls on both alike
                tries["c7n-org"].append(run_c7n(exe, served, c, work / f"c7n-{c}-{i}"))
                tries["orgops local"].append(run_orgops_local(served, c, work / f"local-{c}-{i}"))
                print(f"# peer concurrency {c} try {i}: {[(k, round(v[-1].seconds, 2)) for k, v in tries.items()]}",
                      file=log, flush=True)  # fmt: skip
            runs += [best(tries["c7n-org"]), best(tries["orgops local"])]
            every += [*tries["c7n-org"], *tries["orgops local"]]
        machines = [run_state_machine(served) for _ in range(repeat)]
        runs.append(best(machines))
        every += machines
        facts = {
            "accounts": len(accounts),
            "targets": len(accounts) * len(REGIONS),
            "machine_concurrency": map_concurrency(served),
            "account_names": {account: name for name, account in accounts.items()},
            "every_run": every,
        }
    return runs, facts


def markdown(concurrency: Sequence[int] = CONCURRENCY, repeat: int = 3) -> tuple[list[str], list[str]]:
    """(the section's lines, the id problems): what ``benchmarks.bench`` adds to results.md."""
    runs, facts = measure(concurrency, repeat)
    return section(runs, **facts), id_problems(facts["every_run"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peer", description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=list(CONCURRENCY), help="levels to compare")
    parser.add_argument("--repeat", type=int, default=3, help="runs per runner and level; the fastest counts")
    args = parser.parse_args(argv)
    lines, problems = markdown(args.concurrency, args.repeat)
    print("\n".join(lines))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
