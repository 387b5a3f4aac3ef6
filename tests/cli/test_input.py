"""Building the execution input from the flags, and validating it before anything starts."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from orgops import operations
from orgops.cli import app as cli
from orgops.cli.common import EXIT_USAGE, UsageError, build_input, confirm_apply


def input_for(*flags: str) -> dict:
    return build_input(cli.build_parser().parse_args(["run", "unused-ebs-volumes", *flags]))


def test_no_flags_give_a_dry_run_with_the_deployed_defaults() -> None:
    assert input_for() == {"DryRun": True}


def test_every_targeting_flag_lands_in_its_documented_key() -> None:
    doc = input_for(
        "--regions", "eu-west-1,us-east-1", "ap-southeast-2",
        "--accounts", "111111111111", "222222222222",
        "--exclude", "333333333333",
        "--ou", "ou-ab12-cdef3456",
        "--tag", "env=prod", "--tag", "team=core",
        "--param", "MinAgeDays=7",
    )  # fmt: skip
    assert doc == {
        "Regions": ["eu-west-1", "us-east-1", "ap-southeast-2"],
        "Accounts": {
            "Include": ["111111111111", "222222222222"],
            "Exclude": ["333333333333"],
            "OrganizationalUnits": ["ou-ab12-cdef3456"],
            "Tags": {"env": "prod", "team": "core"},
        },
        "Params": {"MinAgeDays": 7},
        "DryRun": True,
    }


def test_regions_all_becomes_the_string_all() -> None:
    assert input_for("--regions", "all")["Regions"] == "ALL"


def test_apply_is_the_only_way_to_set_dry_run_false() -> None:
    assert input_for("--apply")["DryRun"] is False


def test_param_values_are_json_when_they_parse_and_strings_otherwise() -> None:
    doc = input_for("--param", 'Ids=["a","b"]', "--param", "Flag=true", "--param", "Name=vol-1")
    assert doc["Params"] == {"Ids": ["a", "b"], "Flag": True, "Name": "vol-1"}


def test_params_file_is_read_as_the_params_object(tmp_path: Path) -> None:
    path = tmp_path / "params.json"
    path.write_text(json.dumps({"StandardArns": ["arn:aws:securityhub:REGION::standards/x/v/1"]}))
    assert input_for("--params-file", str(path))["Params"] == {
        "StandardArns": ["arn:aws:securityhub:REGION::standards/x/v/1"]
    }


def test_params_file_that_is_not_an_object_names_the_flag(tmp_path: Path) -> None:
    path = tmp_path / "params.json"
    path.write_text("[1, 2]")
    with pytest.raises(UsageError, match=r"^--params-file: .* must hold a JSON object"):
        input_for("--params-file", str(path))


def test_one_tag_key_with_two_values_is_refused() -> None:
    with pytest.raises(UsageError, match="--tag env is given twice with different values"):
        input_for("--tag", "env=prod", "--tag", "env=dev")


def test_a_malformed_account_id_fails_before_any_aws_call(capsys: pytest.CaptureFixture[str]) -> None:
    # No credentials would be needed: validation runs first (no mock, no endpoint here).
    code = cli.main(["run", "unused-ebs-volumes", "--accounts", "12345"])
    assert code == EXIT_USAGE
    assert capsys.readouterr().err.startswith('orgops: Accounts.Include[0]: "12345" is not a valid 12-digit account id')


def test_an_unknown_parameter_is_named_with_the_operation_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["run", "securityhub-standards", "--param", "Nope=1"])
    assert code == EXIT_USAGE
    assert capsys.readouterr().err.startswith(
        "orgops: Params.Nope: unknown parameter for securityhub-standards; its parameters: StandardArns"
    )


def test_an_unknown_operation_lists_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["run", "no-such-op"])
    assert code == EXIT_USAGE
    assert "no operation named 'no-such-op'; known operations: " in capsys.readouterr().err


def test_apply_without_yes_is_refused_when_stdin_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["run", "unused-ebs-volumes", "--apply"])
    assert code == EXIT_USAGE
    assert "--apply changes resources and this shell is not interactive" in capsys.readouterr().err


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_apply_on_a_terminal_goes_ahead_when_the_operation_name_is_typed() -> None:
    op = operations.get("unused-ebs-volumes")
    confirm_apply(op, False, stdin=Tty(), stderr=io.StringIO(), ask=lambda _prompt: "unused-ebs-volumes")


def test_apply_on_a_terminal_is_cancelled_by_any_other_answer() -> None:
    op = operations.get("unused-ebs-volumes")
    with pytest.raises(UsageError, match="not confirmed: nothing was started"):
        confirm_apply(op, False, stdin=Tty(), stderr=io.StringIO(), ask=lambda _prompt: "y")


def test_run_help_teaches_with_examples_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    text = capsys.readouterr().out
    assert "orgops run unused-ebs-volumes --regions eu-west-1 us-east-1" in text
    assert "  3    the execution FAILED, TIMED_OUT or was ABORTED" in text


@pytest.mark.parametrize("command", ["run", "local"])
def test_a_region_no_partition_has_is_refused_with_exit_code_2_before_anything_starts(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main([command, "unused-ebs-volumes", "--regions", "eu-west-1,eu-westt-1"])

    assert code == EXIT_USAGE == 2
    assert capsys.readouterr().err == (
        'orgops: Regions[1]: "eu-westt-1" is not a region AWS knows (in no partition): check the spelling\n'
    )


@pytest.mark.parametrize("flag", ["--regions", "--accounts", "--exclude", "--ou"])
def test_an_empty_list_flag_is_refused_not_dropped(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    # `--regions ''` once dropped the key: the run went to every deployed region.
    code = cli.main(["run", "unused-ebs-volumes", flag, ""])

    assert code == EXIT_USAGE
    assert capsys.readouterr().err.startswith(f"orgops: {flag} is empty; name at least one (")


def test_an_empty_regions_flag_is_refused_not_every_region() -> None:
    with pytest.raises(UsageError, match=r"^--regions is empty; name at least one \(eu-west-1,us-east-1 or ALL\)"):
        input_for("--regions", " , ")


def test_the_input_sent_is_the_json_whose_size_was_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a parameter in a script whose UTF-8 is 3 bytes a character and whose \u escape is 6
    from orgops import targets
    from orgops.cli import run as cli_run

    sent: list[str] = []

    class FakeSfn:
        def start_execution(self, stateMachineArn: str, name: str, input: str) -> dict:
            sent.append(input)
            return {"executionArn": f"arn:aws:states:us-east-1:111111111111:execution:m:{name}"}

    class FakeAws:
        def client(self, service: str, region: str | None = None) -> FakeSfn:
            return FakeSfn()

    monkeypatch.setattr(cli_run.Aws, "from_args", classmethod(lambda cls, args: FakeAws()))
    arn = "arn:aws:states:us-east-1:111111111111:stateMachine:orgops-tags"

    code = cli.main(["run", "tags", "--state-machine-arn", arn, "--no-wait", "--param", 'RequiredTags=["チーム"]'])

    assert code == 0
    (body,) = sent
    doc = json.loads(body)
    assert doc["Params"] == {"RequiredTags": ["チーム"]}
    assert body == targets.encode_input(doc)
    assert len(body.encode()) == targets.json_size(doc)
