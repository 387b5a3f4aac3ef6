"""Two `orgops run`s against one in-process emulator; spawned in a pseudo-terminal by test_terminal.py.

Usage: python tests/cli/pty_run.py OUT_DIR. Worker invocations are slowed down (two run at a
time) so the progress bar has time to advance: first run ``pty-1`` with 0.3 s per worker, to the
end; then, after the line ``second run``, run ``pty-2`` with 1.5 s per worker, meant to be
interrupted. After each, prints ``final status: <status>; aborted iterations: <n>; exit: <code>``.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_CONFIG_FILE="/dev/null",
    AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    MOTO_EC2_LOAD_DEFAULT_AMIS="false",
)

from orgops.cli import app as cli
from orgops.emulator import AccountSpec, Emulator, OperationSettings, StackSettings

OPERATION = "unused-ebs-volumes"


def final_status(emu: Emulator, name: str) -> tuple[str, int]:
    sfn = emu.session().client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=emu.stack.state_machines[OPERATION])["executions"]
    (arn,) = [e["executionArn"] for e in executions if e["name"] == name]
    for _ in range(100):  # the execution may still be ending when the CLI exits
        status = sfn.describe_execution(executionArn=arn)["status"]
        if status != "RUNNING":
            break
        time.sleep(0.05)
    events = sfn.get_execution_history(executionArn=arn)["events"]
    return status, sum(e["type"] == "MapIterationAborted" for e in events)


def main() -> int:
    out = sys.argv[1]
    settings = StackSettings(defaults=OperationSettings(regions=("eu-west-1", "us-east-1"), max_concurrency=2))
    delay = {"seconds": 0.3}
    with Emulator.in_process(operations=[OPERATION], settings=settings) as emu:
        emu.build_organization([AccountSpec("alpha")])

        def slow_worker(function_name: str, event: dict) -> None:
            if "worker" in function_name:
                time.sleep(delay["seconds"])

        emu.router.before_invoke.append(slow_worker)
        for name, seconds in (("pty-1", 0.3), ("pty-2", 1.5)):
            delay["seconds"] = seconds
            if name == "pty-2":
                print("second run", flush=True)
            code = cli.main(["run", OPERATION, "--name", name, "--out", f"{out}/{name}", "--poll-seconds", "0.1"])
            status, aborted = final_status(emu, name)
            print(f"final status: {status}; aborted iterations: {aborted}; exit: {code}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
