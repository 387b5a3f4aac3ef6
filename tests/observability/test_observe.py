"""observe() on its own: settings from a mapping (the emulator's way), concurrent invocations."""

from __future__ import annotations

import threading
import time
from typing import Any

from orgops import observability
from tests.observability.conftest import EXECUTION_ARN, emf_documents, log_lines

ENV = {
    "POWERTOOLS_SERVICE_NAME": "orgops",
    "POWERTOOLS_METRICS_NAMESPACE": "ns-from-mapping",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}


def worker_event(account: str) -> dict[str, Any]:
    return {
        "Target": {"AccountId": account, "AccountName": "a", "Region": "eu-west-1"},
        "Common": {"Operation": "public-ips"},
        "ExecutionId": EXECUTION_ARN,
    }


def test_observed_inner_takes_its_settings_from_the_functions_environment(output: Any) -> None:
    # Given an inner function run the emulator's way: event, the function's env, a session
    inner = observability.observed_inner(
        observability.WORKER, lambda event, env, session, warm: {"Status": "SUCCEEDED", "Rows": 2, "Warm": warm}
    )

    # When it runs with a mapping that is not os.environ (and the emulator's other arguments)
    result = inner(worker_event("111111111111"), {**ENV, "ORGOPS_OPERATION": "public-ips"}, None, {"k": 1})

    # Then the line has a request id of its own and the metric the mapping's namespace
    (line,) = log_lines(output())
    (document,) = emf_documents(output())
    assert result == {"Status": "SUCCEEDED", "Rows": 2, "Warm": {"k": 1}}
    assert (line["operation"], line["target_status"], line["rows"]) == ("public-ips", "SUCCEEDED", 2)
    assert len(line["function_request_id"]) == 36
    assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "ns-from-mapping"


def test_concurrent_invocations_never_mix_their_keys(output: Any) -> None:
    # Given eight invocations running at once in threads, each logging mid-way
    accounts = [f"{i:012d}" for i in range(1, 9)]
    start = threading.Barrier(len(accounts))

    def call(account: str) -> dict[str, Any]:
        start.wait()
        observability.get_logger(ENV).info(f"working on {account}")
        time.sleep(0.01)
        return {"Status": "SUCCEEDED", "Rows": 0}

    threads = [
        threading.Thread(
            target=observability.observe,
            args=(observability.WORKER, worker_event(a), None, ENV, lambda a=a: call(a)),
        )
        for a in accounts
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # Then every line carries its own invocation's account, and each invocation wrote one metric set
    lines = log_lines(output())
    assert len(lines) == 2 * len(accounts)
    for line in lines:
        if line["message"].startswith("working on "):
            assert line["message"] == f"working on {line['account_id']}"
            assert line["target_status"] == "RUNNING"
    finished = sorted(line["account_id"] for line in lines if line["message"] == "target finished")
    assert finished == accounts
    assert len(emf_documents(output())) == len(accounts)


def test_lines_outside_an_invocation_still_carry_every_key_empty(output: Any) -> None:
    # Given the process's logger used outside any invocation (e.g. at cold start)
    observability.get_logger(ENV).warning("outside")

    # Then the keys are there, empty
    (line,) = log_lines(output())
    assert {k: line[k] for k in observability.LOG_KEYS} == dict.fromkeys(observability.LOG_KEYS, "")


def test_the_packages_own_loggers_carry_every_key(output: Any) -> None:
    # Given a module of the package logging the usual way
    import logging

    env = ENV

    def call() -> dict[str, Any]:
        logging.getLogger("orgops.operations.example").warning("region skipped")
        return {"Status": "SUCCEEDED", "Rows": 0}

    # When an invocation runs
    observability.observe(observability.WORKER, worker_event("222222222222"), None, env, call)

    # Then the module's line is JSON with every key, like the wrapper's own line
    lines = log_lines(output())
    assert [line["message"] for line in lines] == ["region skipped", "target finished"]
    assert all(sorted(set(observability.LOG_KEYS) - set(line)) == [] for line in lines)
    assert (lines[0]["account_id"], lines[0]["service"]) == ("222222222222", "orgops")


def test_an_error_is_logged_with_orgops_code_or_the_aws_code_or_its_type() -> None:
    from botocore.exceptions import ClientError

    from orgops.errors import AssumeRoleFailed

    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListAccounts")
    assert observability.error_code(AssumeRoleFailed("arn:aws:iam::1:role/r", "AccessDenied", "no")) == "AccessDenied"
    assert observability.error_code(denied) == "AccessDenied"
    assert observability.error_code(KeyError("Region")) == "KeyError"
