"""Run `orgops run` against an in-process emulator; spawned in a pseudo-terminal by test_terminal.py.

Usage: python tests/cli/pty_run.py SECONDS_PER_WORKER OUT_DIR. Each worker invocation sleeps
SECONDS_PER_WORKER (two run at a time), so the progress bar has time to advance. After the
command returns, prints ``final status: <status>; aborted iterations: <n>`` and exits with the
command's code.
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

from orgops import cli
from orgops.emulator import AccountSpec, Emulator, OperationSettings, StackSettings

OPERATION = "unused-ebs-volumes"


def main() -> int:
    delay, out = float(sys.argv[1]), sys.argv[2]
    settings = StackSettings(defaults=OperationSettings(regions=("eu-west-1", "us-east-1"), max_concurrency=2))
    with Emulator.in_process(operations=[OPERATION], settings=settings) as emu:
        emu.build_organization([AccountSpec("alpha")])

        def slow_worker(function_name: str, event: dict) -> None:
            if "worker" in function_name:
                time.sleep(delay)

        emu.router.before_invoke.append(slow_worker)
        code = cli.main(["run", OPERATION, "--name", "pty-1", "--out", out, "--poll-seconds", "0.1"])
        sfn = emu.session().client("stepfunctions")
        (execution,) = sfn.list_executions(stateMachineArn=emu.stack.state_machines[OPERATION])["executions"]
        for _ in range(100):  # a stopped execution reaches ABORTED asynchronously in moto
            status = sfn.describe_execution(executionArn=execution["executionArn"])["status"]
            if status != "RUNNING":
                break
            time.sleep(0.05)
        events = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
        aborted = sum(e["type"] == "MapIterationAborted" for e in events)
        print(f"final status: {status}; aborted iterations: {aborted}", flush=True)
        return code


if __name__ == "__main__":
    sys.exit(main())
