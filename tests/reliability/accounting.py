"""The invariant every scenario ends with: the report accounts for every target, exactly once.

From the status table (what the state machine recorded), the report CSV, the errors CSV and the
execution's output: targets = succeeded + failed + skipped; the status table holds exactly the
expected targets; every failed target has exactly one errors-CSV row and no other target has
one; every succeeded target contributes exactly its recorded row count to the report and no row
appears twice; skipped targets appear in neither CSV; the output's counts are those.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from orgops import store
from orgops.emulator import Emulator, Execution
from orgops.sessions import client


@dataclass(frozen=True)
class Accounting:
    output: dict[str, Any]
    statuses: dict[tuple[str, str], dict[str, Any]]  # (account id, region) -> status item
    report: list[dict[str, str]]
    errors: list[dict[str, str]]

    def status_of(self, account_id: str, region: str) -> str:
        return str(self.statuses[(account_id, region)]["status"])

    def error_of(self, account_id: str, region: str) -> tuple[str, str]:
        (row,) = [e for e in self.errors if (e["account_id"], e["region"]) == (account_id, region)]
        return row["error_code"], row["error_message"]


def statuses(emu: Emulator, execution_arn: str) -> list[dict[str, Any]]:
    ddb = client(emu.session(), "dynamodb")
    return list(store.iter_statuses(ddb, emu.stack.status_table, execution_arn))


def account_for_every_target(emu: Emulator, execution: Execution, expected: set[tuple[str, str]]) -> Accounting:
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    output = execution.output
    assert output is not None
    items = statuses(emu, execution.arn)
    keys = [(i["account_id"], i["region"]) for i in items]
    assert len(keys) == len(set(keys)), f"a target recorded twice: {sorted(keys)}"
    by_target = dict(zip(keys, items, strict=True))
    missing, extra = sorted(expected - set(keys)), sorted(set(keys) - expected)
    assert not missing and not extra, f"targets missing {missing}, unexpected {extra}"

    by_status = Counter(i["status"] for i in items)
    assert set(by_status) <= {store.SUCCEEDED, store.FAILED, store.SKIPPED}, by_status
    assert output["Targets"] == len(items) == output["Succeeded"] + output["Failed"] + output["Skipped"]
    assert (output["Succeeded"], output["Failed"], output["Skipped"]) == (
        by_status[store.SUCCEEDED],
        by_status[store.FAILED],
        by_status[store.SKIPPED],
    )

    failed = {k for k, i in by_target.items() if i["status"] == store.FAILED}
    errors = emu.read_csv(output["ErrorsUri"]) if output["ErrorsUri"] else []
    assert (output["ErrorsUri"] is None) == (not failed)
    error_keys = [(e["account_id"], e["region"]) for e in errors]
    assert Counter(error_keys) == Counter(failed), "errors.csv must have exactly one row per failed target"

    report = emu.read_csv(output["ReportUri"])
    assert output["Rows"] == len(report)
    whole_rows = Counter(tuple(r.values()) for r in report)
    assert [r for r, n in whole_rows.items() if n > 1] == [], "a row appears twice in the report"
    per_target = Counter((r["account_id"], r["region"]) for r in report)
    recorded = {k: int(i["rows"]) for k, i in by_target.items() if i["status"] == store.SUCCEEDED and int(i["rows"])}
    assert dict(per_target) == recorded, "report rows per target must be the rows each succeeded target recorded"
    return Accounting(output=output, statuses=by_target, report=report, errors=errors)
