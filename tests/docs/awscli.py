"""A stand-in for the AWS CLI, for running the docs' ``aws ...`` examples against the emulator.

The docs' examples are AWS CLI commands; a CI machine has no AWS CLI (only the project's
virtualenvs). This runs the same command lines with the project's boto3, following the CLI's
conventions for what the docs use, and refusing the rest (exit 252, as the CLI's usage errors):

- ``aws [--endpoint-url URL] [--region R] [--output json|text] [--query JMESPATH] SERVICE OPERATION
  [--kebab-case-parameter VALUE ...]``: SERVICE as the CLI names it (``s3api`` is boto3's ``s3``),
  OPERATION the operation's kebab-case name; each parameter is a member of the operation's input
  shape (botocore's service model decides, so a misspelt parameter fails as it would in the CLI):
  strings as given, integers, ``--flag`` / ``--no-flag`` for booleans, a list of strings as the
  following words, structures, maps and other lists as JSON.
- ``aws s3 cp s3://BUCKET/KEY -`` (the object to stdout) and ``aws s3 cp s3://BUCKET/KEY FILE``.
- Output: the response as JSON (indent 4, ``ResponseMetadata`` left out, times in ISO 8601), or
  ``--output text`` of a scalar; errors as the CLI prints them, exit 254.

One addition, for examples a person runs one line at a time: with ``ORGOPS_DOCS_WAIT=1``,
``stepfunctions start-execution`` returns once the execution has ended (as a person reading the
output before typing the next line would wait), so the next line finds its report.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

import boto3
import jmespath
from botocore import xform_name
from botocore.exceptions import ClientError, ParamValidationError
from botocore.model import Shape

USAGE = 252  # the AWS CLI's exit code for a command line it cannot parse
SERVICE_ERROR = 254  # AWS CLI v2's exit code for an error the service answered
SERVICES = {"s3api": "s3"}  # the CLI's name -> boto3's, where they differ
WAIT_ENV = "ORGOPS_DOCS_WAIT"
WAIT_SECONDS = 120


class Usage(Exception):
    pass


def _value(shape: Shape, words: list[str], flag: str) -> Any:
    """The value of one parameter from the words after its flag (consumed from ``words``)."""
    kind = shape.type_name
    if kind == "boolean":
        return True
    if not words or words[0].startswith("--"):
        raise Usage(f"argument {flag}: expected one argument")
    if kind == "list" and shape.member.type_name == "string" and not words[0].lstrip().startswith("["):
        values = []
        while words and not words[0].startswith("--"):
            values.append(words.pop(0))
        return values
    word = words.pop(0)
    if kind in ("integer", "long"):
        return int(word)
    if kind in ("float", "double"):
        return float(word)
    if kind == "blob":
        return word.encode()
    if kind in ("structure", "map", "list"):
        try:
            return json.loads(word)
        except ValueError as exc:
            raise Usage(f"argument {flag}: Invalid JSON: {exc}") from exc
    return word


def parameters(operation_model: Any, words: list[str]) -> dict[str, Any]:
    shape = operation_model.input_shape
    members = {xform_name(name, "-"): (name, member) for name, member in (shape.members.items() if shape else [])}
    params: dict[str, Any] = {}
    words = list(words)
    while words:
        flag = words.pop(0)
        if not flag.startswith("--"):
            raise Usage(f"Unknown options: {flag}")
        key = flag[2:]
        negated = key.startswith("no-") and key[3:] in members and members[key[3:]][1].type_name == "boolean"
        if negated:
            params[members[key[3:]][0]] = False
            continue
        if key not in members:
            raise Usage(f"Unknown options: {flag}")
        name, member = members[key]
        params[name] = _value(member, words, flag)
    return params


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if hasattr(value, "read"):
        return value.read().decode(errors="replace")
    return value


def _print(result: Any, output: str, query: str | None) -> None:
    result = _plain(result)
    if query:
        result = jmespath.search(query, result)
    if output == "text":
        if isinstance(result, list) and all(isinstance(v, list) for v in result):
            for row in result:  # one line per row, as the CLI prints a list of lists
                print("\t".join("None" if v is None else str(v) for v in row))
        elif isinstance(result, list):
            print("\t".join(str(v) for v in result))
        elif result is not None:
            print(result)
        return
    if result not in ({}, None):
        print(json.dumps(result, indent=4, ensure_ascii=False))


def _s3(session: boto3.Session, endpoint: str | None, words: list[str]) -> int:
    if len(words) != 3 or words[0] != "cp" or not words[1].startswith("s3://"):
        raise Usage("only `s3 cp s3://BUCKET/KEY -` and `s3 cp s3://BUCKET/KEY FILE` are supported here")
    bucket, _, key = words[1][5:].partition("/")
    body = session.client("s3", endpoint_url=endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()
    if words[2] == "-":
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    else:
        with open(words[2], "wb") as f:
            f.write(body)
        print(f"download: {words[1]} to {words[2]}")
    return 0


def _wait(client: Any, arn: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while client.describe_execution(executionArn=arn)["status"] == "RUNNING":
        if time.monotonic() > deadline:
            raise Usage(f"{arn} did not end in {WAIT_SECONDS} s")
        time.sleep(0.2)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    options: dict[str, str] = {"output": "json"}
    while words and words[0].startswith("--"):
        flag = words.pop(0)[2:]
        if flag == "no-cli-pager":
            continue
        if flag not in ("endpoint-url", "region", "output", "query") or not words:
            print(f"aws: error: unsupported global option --{flag} (docs example runner)", file=sys.stderr)
            return USAGE
        options[flag] = words.pop(0)
    if len(words) < 2:
        print("aws: error: the following arguments are required: command, operation", file=sys.stderr)
        return USAGE
    service, operation, rest = words[0], words[1], words[2:]
    # Global options may also follow the operation.
    for flag in ("endpoint-url", "region", "output", "query"):
        if f"--{flag}" in rest:
            i = rest.index(f"--{flag}")
            options[flag] = rest[i + 1]
            del rest[i : i + 2]
    session = boto3.Session(region_name=options.get("region") or os.environ.get("AWS_DEFAULT_REGION"))
    endpoint = options.get("endpoint-url") or os.environ.get("AWS_ENDPOINT_URL")
    try:
        if service == "s3":
            return _s3(session, endpoint, [operation, *rest])
        client = session.client(SERVICES.get(service, service), endpoint_url=endpoint)
        names = {xform_name(n, "-"): n for n in client.meta.service_model.operation_names}
        if operation not in names:
            raise Usage(f"argument operation: Invalid choice: {operation!r}")
        model = client.meta.service_model.operation_model(names[operation])
        result = getattr(client, xform_name(names[operation]))(**parameters(model, rest))
        if (service, operation) == ("stepfunctions", "start-execution") and os.environ.get(WAIT_ENV) == "1":
            _wait(client, result["executionArn"])
        _print(result, options["output"], options.get("query"))
    except Usage as exc:
        print(f"aws: error: {exc}", file=sys.stderr)
        return USAGE
    except ParamValidationError as exc:
        print(f"\n{exc}\n", file=sys.stderr)
        return USAGE
    except ClientError as exc:
        err = exc.response.get("Error", {})
        print(
            f"\nAn error occurred ({err.get('Code')}) when calling the {exc.operation_name} operation: "
            f"{err.get('Message')}",
            file=sys.stderr,
        )
        return SERVICE_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
