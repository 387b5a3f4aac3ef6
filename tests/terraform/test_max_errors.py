"""modules/operation's max_errors: the default MaxErrors, refused at plan when the fanout would refuse it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.terraform.test_limits import OPERATION_VARIABLES, check

MESSAGE = (
    "max_errors must be null, a whole number of failed targets from 0 (such as 3), or a percentage of the planned "
    'targets from "1%" to "100%" (such as "10%").'
)


@pytest.mark.parametrize("value", [None, 0, 3, "3", "1%", "10%", "100%"])
def test_max_errors_accepts_null_a_count_or_a_percentage(tmp_path: Path, value: object) -> None:
    assert check(tmp_path, OPERATION_VARIABLES, "max_errors", value) is None


@pytest.mark.parametrize("value", ["150%", "0%", "-1", "x", "10 %", "2.5"])
def test_max_errors_refuses_what_the_fanout_would_refuse(tmp_path: Path, value: object) -> None:
    said = check(tmp_path, OPERATION_VARIABLES, "max_errors", value)

    assert said is not None
    assert MESSAGE in said
