"""Every cell orgops writes to a CSV is safe to open in a spreadsheet: text starting with a
formula character gets a leading quote, in every column of the report and of the errors CSV."""

from __future__ import annotations

import dataclasses
import json

import pytest

from orgops import report, store
from orgops.handlers import worker
from orgops.targets import Target

PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def test_the_escaped_prefixes_are_the_ones_spreadsheets_run() -> None:
    assert store.FORMULA_PREFIXES == PREFIXES


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_errors_csv_column_is_escaped(prefix: str) -> None:
    status = {
        "account_id": f"{prefix}1",
        "account_name": f"{prefix}name",
        "region": f"{prefix}region",
        "status": store.FAILED,
        "error_code": f"{prefix}Code",
        "error_message": f"{prefix}message",
    }

    (row,) = report.tally([status]).failures

    # The error code and message are escaped as messages too: a control character (tab, CR) is
    # written as its JSON escape, which starts no formula.
    shown = json.dumps(prefix)[1:-1]
    if shown == prefix:
        assert row == [f"'{prefix}1", f"'{prefix}name", f"'{prefix}region", f"'{prefix}Code", f"'{prefix}message"]
    else:
        assert row == [f"'{prefix}1", f"'{prefix}name", f"'{prefix}region", f"{shown}Code", f"{shown}message"]
    assert not any(cell.startswith(store.FORMULA_PREFIXES) for cell in row)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_the_target_columns_of_report_rows_are_escaped(prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an operation that returns one row with a formula cell, for an account named like a formula
    stored: list[bytes] = []
    monkeypatch.setattr(store, "put_rows", lambda s3, bucket, key, body: stored.append(body))
    op = worker.operations.get("unused-ebs-volumes")
    row = dict.fromkeys(op.columns, f"{prefix}x")
    monkeypatch.setitem(worker.operations.REGISTRY, op.name, dataclasses.replace(op, run=lambda *a: iter([row])))
    settings = worker.WorkerSettings(operation=op.name, member_role_name="r", data_bucket="b")
    event = {
        "Target": Target("111111111111", f"{prefix}account", "eu-west-1").as_item(),
        "Common": {"Params": {}, "DryRun": True},
        "ExecutionId": "arn:aws:states:us-east-1:111111111111:execution:orgops-x:run-1",
    }

    worker.run_target(event, settings, member_session=None, base=_NoClientSession())  # type: ignore[arg-type]

    (line,) = [store.json.loads(b) for b in stored[0].splitlines()]
    assert line[:3] == ["111111111111", f"'{prefix}account", "eu-west-1"]
    assert line[3:] == [f"'{prefix}x"] * len(op.columns)


class _NoClientSession:
    def client(self, *args: object, **kwargs: object) -> object:
        return object()
