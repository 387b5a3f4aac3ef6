"""The operator subcommands' flags, help and examples: ``run``, ``local``, ``executions``, ``report``
(and ``doctor``, whose flags live with it in ``orgops.cli.doctor``).

``register`` adds them to the ``orgops`` parser (``orgops.cli.build_parser``); the commands
themselves live in ``orgops.cli.run`` and ``orgops.cli.local``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from orgops.cli.common import (
    EXIT_CODES_EPILOG,
    EXIT_RUNNING,
    add_aws_arguments,
    add_output_argument,
    add_targeting_arguments,
)

RUN_EPILOG = f"""\
examples:
  # dry run (the default) in two regions of every active account, report into ./reports/
  orgops run unused-ebs-volumes --regions eu-west-1 us-east-1

  # only one OU and accounts tagged env=prod, with a parameter, in each account's enabled regions
  orgops run securityhub-standards --regions ALL --ou ou-ab12-cdef3456 --tag env=prod \\
      --param 'StandardArns=["arn:aws:securityhub:REGION::standards/cis-aws-foundations-benchmark/v/1.4.0"]'

  # really change resources, from a script (no prompt), machine-readable result
  orgops run <operation> --accounts 111122223333 --apply --yes --output json

  # start and return at once; follow or fetch later with `orgops report ARN --wait`
  orgops run public-ips --no-wait

  # stop starting targets once more than 5% of them have failed; then run what failed or did not run
  orgops run tag-remediation --apply --yes --max-errors 5% --preflight
  orgops run tag-remediation --apply --yes --retry-failed ARN_OF_THAT_RUN

  # canary first: two accounts, then the rest in waves of 25% and 100% of the targets, each wave
  # only if the waves before had no more than 2 failures
  orgops run tag-remediation --apply --yes --canary 111122223333,ou-ab12-cdef3456 --waves 25%,100% --max-errors 2

  # against the emulator (`orgops emulator` prints the endpoint)
  orgops run public-ips --endpoint-url http://127.0.0.1:5000 --region us-east-1

The input sent is exactly the documented execution input:
  {{"Regions": [...] | "ALL", "Accounts": {{"Include", "Exclude", "OrganizationalUnits", "Tags"}},
   "Params": {{...}}, "DryRun": true, "MaxErrors": 3 | "10%", "RetryFailed": ARN, "Preflight": true,
   "Canary": [ID, ...], "Waves": 3 | ["25%", "100%"]}}
Flags not given are left out, so the deployed defaults apply. It is validated here, with the
fanout's own code, and --out is checked writable, before anything starts. Ctrl-C offers to stop
the execution (SIGTERM leaves it running); a run that ends FAILED, TIMED_OUT or ABORTED gets a
partial report of the targets that finished ("Partial": true in summary.json), downloaded too.

{EXIT_CODES_EPILOG}"""

LOCAL_EPILOG = f"""\
examples:
  # develop an operation against the emulator, nothing deployed
  orgops local public-ips --endpoint-url http://127.0.0.1:5000 --region us-east-1 --regions us-east-1 \
      --role-name OrganizationAccountAccessRole

  # against a real organization with your SSO profile, reaching members through a role you may assume
  orgops local unused-ebs-volumes --profile mgmt --regions eu-west-1 \\
      --role-name OrganizationAccountAccessRole --concurrency 16

`local` runs the Lambdas' own fanout, worker and report code in this process, one thread per
running target, with your credentials. The result store (data bucket and status table) is a
temporary local directory, so nothing needs deploying; the report files (report.csv, errors.csv,
summary.json) are written to --out exactly as the state machine writes them. Member accounts are
reached by assuming --role-name (default: the operation's operation-readonly / operation-admin).
The management account has no such role as a rule (Organizations creates
OrganizationAccountAccessRole only in member accounts, the StackSet never deploys there): its
targets run by assuming --management-role-name when given, else with your own credentials when
they are in the management account.

{EXIT_CODES_EPILOG}"""

EXECUTIONS_EPILOG = """\
examples:
  orgops executions public-ips                      # the 20 most recent runs, newest first
  orgops executions public-ips --max-items 5 --output json

Counts and the report URI come from the summary.json the report step writes to
s3://<data bucket>/reports/<operation>/<execution name>/summary.json; a run that did not reach
the report step shows '-'."""

REPORT_EPILOG = f"""\
examples:
  orgops report arn:aws:states:eu-west-1:111122223333:execution:orgops-public-ips:public-ips-20261125T101500Z-1a2b
  orgops report ARN --wait --out /tmp/run1          # follow a running execution, then download
  orgops report ARN --html                          # and report.html beside the CSVs: open it in a browser
  orgops report reports/public-ips/NAME --html      # a report already saved (run, report, local): no AWS call

--html writes one self-contained page (no script, nothing loaded from elsewhere): the summary,
findings per account and region, the changes since the last run, the failed targets and the
first 500 rows.

An execution still running has no report yet (exit {EXIT_RUNNING} without --wait). One that ended FAILED,
TIMED_OUT or ABORTED has a partial report: the targets that finished before it ended.

{EXIT_CODES_EPILOG}"""


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def _add_lookup_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("finding the state machine (default: named <prefix>-<operation>)")
    group.add_argument("--state-machine-arn", help="use this state machine")
    group.add_argument(
        "--tf-outputs",
        type=Path,
        metavar="FILE",
        help="`terraform output -json > FILE` of the root configuration: its state_machine_arns output",
    )
    group.add_argument(
        "--name-prefix", default="orgops", help="state machines are named PREFIX-OPERATION (default: orgops)"
    )


def _add_wait_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="where to save the report files (default: ./reports/OPERATION/NAME/)"
    )
    parser.add_argument("--poll-seconds", type=float, default=2.0, help=argparse.SUPPRESS)


def register(sub: Any) -> None:
    """Add the operator subcommands to ``sub`` (the ``orgops`` parser's subparsers)."""
    from orgops.cli import local
    from orgops.cli import run as cli_run

    p = sub.add_parser(
        "run",
        help="start an operation's state machine, follow it with a progress bar, download the report",
        description="Start OPERATION's state machine with an execution input built from the flags, follow it "
        "with a progress bar, print the summary and download the report CSVs.",
        epilog=RUN_EPILOG,
        formatter_class=_formatter,
    )
    p.add_argument("operation", help="the operation to run (`orgops list`)")
    add_targeting_arguments(p)
    p.add_argument(
        "--retry-failed",
        metavar="EXECUTION_ARN",
        help="run exactly the FAILED and NOT_RUN targets of that earlier execution of OPERATION, with its Params "
        "unless --param/--params-file are given (no target flags)",
    )
    p.add_argument(
        "--preflight",
        action="store_true",
        help="first check that the worker can assume every selected account's member role; fail naming the "
        "unreachable accounts, before any target runs",
    )
    p.add_argument(
        "--canary",
        nargs="+",
        action="extend",
        metavar="ID",
        help="run these accounts' (or OUs') targets first, as wave 1; the rest start only if its failures are "
        "within the budget (--max-errors; none given: no failure)",
    )
    p.add_argument(
        "--waves",
        metavar="N|P%,P%,100%",
        help="run the targets after the canary in N equal waves (1-20), or in waves ending at cumulative "
        "percentages of all the targets (5%%,25%%,100%%); each wave starts only if the one before was within "
        "the budget, else the rest are NOT_RUN (WaveStopped)",
    )
    p.add_argument("--name", help="execution name (default: OPERATION-<UTC time>-<random>)")
    p.add_argument("--no-wait", action="store_true", help="print the execution ARN and return at once")
    _add_wait_arguments(p)
    _add_lookup_arguments(p)
    add_aws_arguments(p)
    add_output_argument(p)
    p.set_defaults(func=cli_run.cmd_run)

    p = sub.add_parser(
        "local",
        help="run an operation in this process (no deployment): same code, same report files",
        description="Run OPERATION's fanout, workers and report in this process with a thread pool and your "
        "credentials, and write the same report files the state machine writes.",
        epilog=LOCAL_EPILOG,
        formatter_class=_formatter,
    )
    p.add_argument("operation", help="the operation to run (`orgops list`)")
    add_targeting_arguments(p)
    p.add_argument("--concurrency", type=int, default=8, help="targets run at once (default: 8)")
    p.add_argument(
        "--role-name", help="role assumed in each member account (default: operation-readonly / operation-admin)"
    )
    p.add_argument(
        "--management-role-name",
        metavar="NAME",
        help="role assumed in the management account for its own targets (default: your credentials, "
        "when they are in the management account; otherwise --role-name)",
    )
    p.add_argument("--org-role-arn", help="role to assume to list the organization (default: your credentials)")
    p.add_argument(
        "--default-regions",
        metavar="R1,R2",
        help="regions when --regions is not given (the deployed default; here: your region)",
    )
    p.add_argument("--name", help="run name (default: OPERATION-<UTC time>-<random>)")
    p.add_argument(
        "--out", type=Path, metavar="DIR", help="where to write the report files (default: ./reports/OPERATION/NAME/)"
    )
    add_aws_arguments(p)
    add_output_argument(p)
    p.set_defaults(func=local.cmd_local)

    p = sub.add_parser(
        "executions",
        help="recent runs of an operation: status, counts, report URI",
        description="List OPERATION's recent executions, newest first, with the counts from each report's summary.",
        epilog=EXECUTIONS_EPILOG,
        formatter_class=_formatter,
    )
    p.add_argument("operation", help="the operation (`orgops list`)")
    p.add_argument("--max-items", type=int, default=20, help="how many executions (default: 20)")
    p.add_argument("--bucket", help="the data bucket (default: read from the state machine definition)")
    _add_lookup_arguments(p)
    add_aws_arguments(p)
    add_output_argument(p)
    p.set_defaults(func=cli_run.cmd_executions)

    p = sub.add_parser(
        "report",
        help="download the report of an execution (optionally wait for it to finish)",
        description="Print the summary of EXECUTION_ARN and download its report files (or print a saved "
        "report's summary); --html renders them as one HTML page.",
        epilog=REPORT_EPILOG,
        formatter_class=_formatter,
    )
    p.add_argument(
        "execution_arn",
        metavar="EXECUTION_ARN|DIR",
        help="the execution's ARN (`orgops executions OPERATION`), or a report directory already saved "
        "(reports/OPERATION/NAME/): its summary, with no AWS call",
    )
    p.add_argument("--wait", action="store_true", help="follow a running execution with a progress bar first")
    p.add_argument(
        "--html",
        action="store_true",
        help="also write report.html beside the report files (with DIR: into DIR, or --out): one self-contained page",
    )
    _add_wait_arguments(p)
    add_aws_arguments(p)
    add_output_argument(p)
    p.set_defaults(func=cli_run.cmd_report)

    from orgops.cli import doctor

    doctor.register(sub, _formatter)
