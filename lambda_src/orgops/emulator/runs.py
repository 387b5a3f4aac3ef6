"""Start an execution, wait for it, read its report: what a client of the emulator does."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3

from orgops import store
from orgops.sessions import client

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


@dataclass(frozen=True)
class Execution:
    arn: str
    status: str
    seconds: float
    output: dict[str, Any] | None = None
    error: str | None = None
    cause: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)


def start(session: boto3.Session, state_machine_arn: str, execution_input: Mapping[str, Any], name: str) -> str:
    sfn = client(session, "stepfunctions")
    return str(
        sfn.start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(execution_input))[
            "executionArn"
        ]
    )


def wait(
    session: boto3.Session,
    execution_arn: str,
    timeout: float = 600.0,
    poll: float = 0.25,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> Execution:
    """Poll until the execution ends; ``progress`` gets each ``DescribeExecution`` answer.

    Polls every 20 ms at first, backing off to ``poll`` seconds: each call costs the emulator CPU
    that the execution itself would use."""
    sfn = client(session, "stepfunctions")
    started = time.monotonic()
    interval = 0.02
    while True:
        desc = sfn.describe_execution(executionArn=execution_arn)
        if progress is not None:
            progress(desc)
        if desc["status"] in TERMINAL:
            break
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{execution_arn} still {desc['status']} after {timeout:.0f}s")
        time.sleep(interval)
        interval = min(interval * 1.5, poll)
    seconds = (desc.get("stopDate") or desc["startDate"]) - desc["startDate"]
    return Execution(
        arn=execution_arn,
        status=desc["status"],
        seconds=seconds.total_seconds(),
        output=json.loads(desc["output"]) if desc.get("output") else None,
        error=desc.get("error"),
        cause=desc.get("cause"),
    )


def history(session: boto3.Session, execution_arn: str) -> list[dict[str, Any]]:
    sfn = client(session, "stepfunctions")
    pages = sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
    return [e for page in pages for e in page["events"]]


def read_object(session: boto3.Session, uri: str) -> bytes:
    bucket, key = store.parse_s3_uri(uri)
    return bytes(client(session, "s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def read_csv(session: boto3.Session, uri: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(read_object(session, uri).decode("utf-8"))))
