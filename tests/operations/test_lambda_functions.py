"""lambda-functions: runtime, last modified, deprecation flag from DEPRECATED_RUNTIMES."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import boto3

from orgops.operations import lambda_functions
from tests.operations.conftest import REGION
from tests.operations.helpers import run


def code() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


def role(session: boto3.Session) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    return session.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def test_rows_flag_past_deprecations_and_show_coming_ones(session: boto3.Session) -> None:
    lam = session.client("lambda", region_name=REGION)
    arn = role(session)
    made = {
        name: lam.create_function(
            FunctionName=name,
            Runtime=runtime,
            Role=arn,
            Handler="index.handler",
            Code={"ZipFile": code()},
            Architectures=["arm64"] if name == "new" else ["x86_64"],
        )
        for name, runtime in (("old", "python3.8"), ("new", "python3.13"), ("custom", "provided.al2023"))
    }

    rows = sorted(run("lambda-functions", session), key=lambda r: r["function_name"])

    def row(name: str, runtime: str, deprecated: bool, when: date, arch: str) -> dict:
        return {
            "function_name": name,
            "runtime": runtime,
            "deprecated": deprecated,
            "deprecation_date": when,
            "last_modified": made[name]["LastModified"],
            "package_type": "Zip",
            "architectures": [arch],
            "function_arn": made[name]["FunctionArn"],
        }

    assert rows == [
        row("custom", "provided.al2023", False, date(2029, 6, 30), "x86_64"),
        row("new", "python3.13", False, date(2029, 6, 30), "arm64"),
        row("old", "python3.8", True, date(2024, 10, 14), "x86_64"),
    ]


def test_a_runtime_is_deprecated_from_its_deprecation_date_on() -> None:
    assert lambda_functions.deprecation("python3.9", date(2025, 12, 14)) == (False, date(2025, 12, 15))
    assert lambda_functions.deprecation("python3.9", date(2025, 12, 15)) == (True, date(2025, 12, 15))


def test_an_unknown_runtime_or_an_image_function_is_never_flagged() -> None:
    assert lambda_functions.deprecation("python9.9", date(2030, 1, 1)) == (False, None)
    assert lambda_functions.deprecation("", date(2030, 1, 1)) == (False, None)
