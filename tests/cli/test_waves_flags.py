"""``orgops run --canary/--waves``: the input they send, the refusals before anything starts, and
the summary lines a run stopped by a wave prints (and notifies)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from orgops import report
from orgops.cli import app as cli
from orgops.cli import run as cli_run
from orgops.cli.common import EXIT_USAGE, build_input

STOPPED = "wave 1 of 3 (canary, 2 targets): 1 failed, more than MaxErrors 0 allows; 38 targets not run"
SUMMARY: dict[str, Any] = {
    "Operation": "tag-remediation",
    "Targets": 40,
    "Succeeded": 1,
    "Failed": 1,
    "Skipped": 0,
    "NotRun": 38,
    "Rows": 0,
    "ReportUri": "s3://b/reports/tag-remediation/run-1/report.csv",
    "ErrorsUri": "s3://b/reports/tag-remediation/run-1/errors.csv",
    "Stopped": STOPPED,
    "Waves": [
        {"Wave": 1, "Targets": 2, "Failed": 1},
        {"Wave": 2, "Targets": 19, "Failed": 0, "NotRun": 19},
        {"Wave": 3, "Targets": 19, "Failed": 0, "NotRun": 19},
    ],
}


def input_for(*flags: str) -> dict[str, Any]:
    return build_input(cli.build_parser().parse_args(["run", "unused-ebs-volumes", *flags]))


def test_canary_ids_and_a_number_of_waves_land_in_their_keys() -> None:
    doc = input_for("--canary", "111111111111,ou-ab12-cdef3456", "222222222222", "--waves", "3")

    assert (doc["Canary"], doc["Waves"]) == (["111111111111", "ou-ab12-cdef3456", "222222222222"], 3)


def test_percentages_are_sent_as_a_list_of_strings() -> None:
    assert input_for("--waves", "5%, 25%,100%")["Waves"] == ["5%", "25%", "100%"]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--waves", "0"],
            "orgops: Waves: must be a number of waves from 1 to 20 (the targets after the canary, in that many equal "
            'waves) or a list of cumulative percentages of all the planned targets ending in "100%", like 3 or '
            '["5%", "25%", "100%"]; got 0\n',
        ),
        (
            ["--canary", "ou-nope"],
            'orgops: Canary[0]: "ou-nope" is not a 12-digit account id or an OU or root id (like "111122223333", '
            "ou-ab12-cd34ef56 or r-ab12)\n",
        ),
        (
            ["--canary", ""],
            "orgops: --canary is empty; name at least one (111122223333 or ou-ab12-cd34ef56), or leave --canary out "
            "for the defaults\n",
        ),
        (
            [
                "--retry-failed",
                "arn:aws:states:us-east-1:123456789012:execution:orgops-unused-ebs-volumes:run-1",
                "--waves",
                "2",
            ],
            "orgops: Waves: does not apply with RetryFailed, which runs a known set of failed and not-run targets, "
            "in one wave: remove Waves (MaxErrors still stops the retry)\n",
        ),
    ],
)
def test_bad_canary_or_waves_flags_are_refused_before_anything_starts(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["run", "unused-ebs-volumes", *flags, "--no-wait", "--region", "us-east-1"])

    assert code == EXIT_USAGE
    assert capsys.readouterr().err == message


def test_the_printed_summary_shows_each_wave_and_why_the_run_stopped() -> None:
    out = io.StringIO()
    doc = {"ExecutionArn": "arn:aws:states:us-east-1:1:execution:m:n", "Status": "SUCCEEDED", "Summary": SUMMARY}

    cli_run.print_result({**doc, "Files": []}, None, out)

    lines = out.getvalue().splitlines()
    assert lines[2:5] == [
        "targets    40: 1 succeeded, 1 failed, 0 skipped, 38 not run",
        "waves      1: 2 targets, 1 failed; 2: 19 targets, 0 failed, 19 not run; 3: 19 targets, 0 failed, 19 not run",
        f"stopped    {STOPPED}",
    ]


def test_the_notifications_say_a_wave_stopped_the_run() -> None:
    class Sns:
        def publish(self, **kwargs: Any) -> None:
            self.sent = kwargs

    sns = Sns()

    report.publish_sns(sns, "arn:aws:sns:us-east-1:1:t", SUMMARY)

    assert sns.sent["Subject"] == "orgops tag-remediation: STOPPED (wave)"
    assert sns.sent["Message"].splitlines()[0] == f"Stopped by {STOPPED}."


def test_a_maxerrors_stop_inside_a_wave_keeps_its_own_words() -> None:
    stopped = "MaxErrors 2 exceeded: 3 targets failed, more than the 2 allowed, so 2 targets were not run"

    assert report.summary_text({**SUMMARY, "Stopped": stopped}).splitlines()[0] == f"Stopped: {stopped}."
    assert report.stopped_by_wave({**SUMMARY, "Stopped": stopped}) is False


def test_the_reports_stopped_is_the_gates_reason_when_a_wave_stopped_the_run() -> None:
    counts = report.Tally(targets=40, failed=1, not_run=38)
    run = {"max_errors": 0, "max_errors_input": "0", "waves": 3, "stopped": STOPPED}

    assert report.stopped(run, counts) == STOPPED
    assert report.stopped({k: v for k, v in run.items() if k != "stopped"}, counts) == (
        "MaxErrors 0 exceeded: 1 targets failed, more than the 0 allowed, so 38 targets were not run (NOT_RUN, "
        "listed in the errors CSV)"
    )
