"""lambda-functions: every Lambda function with its runtime, last change and deprecation.

A runtime is flagged ``deprecated`` once its deprecation date (``DEPRECATED_RUNTIMES``) has
passed on the day of the run; ``deprecation_date`` also shows dates still to come, so a run
warns ahead. Container-image functions have no runtime and are never flagged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from orgops.operations.base import Operation, Row
from orgops.sessions import client

if TYPE_CHECKING:
    import boto3

    from orgops.targets import Target

# Runtime identifier -> the date Lambda deprecates (deprecated) it.
# Source: AWS Lambda Developer Guide, "Lambda runtimes" (supported and deprecated runtime tables),
# https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html, as published in November
# 2025. Update this table when AWS announces new dates; a runtime missing here is never flagged.
DEPRECATED_RUNTIMES_AS_OF = date(2025, 11, 1)
DEPRECATED_RUNTIMES: Mapping[str, date] = {
    "nodejs": date(2016, 10, 31),
    "nodejs4.3": date(2020, 3, 5),
    "nodejs4.3-edge": date(2020, 3, 5),
    "nodejs6.10": date(2019, 8, 12),
    "nodejs8.10": date(2020, 3, 6),
    "nodejs10.x": date(2021, 7, 30),
    "nodejs12.x": date(2023, 3, 31),
    "nodejs14.x": date(2023, 12, 4),
    "nodejs16.x": date(2024, 6, 12),
    "nodejs18.x": date(2025, 9, 1),
    "nodejs20.x": date(2026, 4, 30),
    "nodejs22.x": date(2027, 4, 30),
    "python2.7": date(2021, 7, 15),
    "python3.6": date(2022, 7, 18),
    "python3.7": date(2023, 12, 4),
    "python3.8": date(2024, 10, 14),
    "python3.9": date(2025, 12, 15),
    "python3.10": date(2026, 6, 30),
    "python3.11": date(2026, 6, 30),
    "python3.12": date(2028, 10, 31),
    "python3.13": date(2029, 6, 30),
    "java8": date(2024, 1, 8),
    "java8.al2": date(2026, 6, 30),
    "java11": date(2026, 6, 30),
    "java17": date(2026, 6, 30),
    "java21": date(2029, 6, 30),
    "dotnetcore1.0": date(2019, 7, 27),
    "dotnetcore2.0": date(2019, 5, 30),
    "dotnetcore2.1": date(2022, 1, 5),
    "dotnetcore3.1": date(2023, 4, 3),
    "dotnet5.0": date(2022, 5, 10),
    "dotnet6": date(2024, 11, 12),
    "dotnet7": date(2024, 5, 14),
    "dotnet8": date(2026, 11, 10),
    "ruby2.5": date(2021, 7, 30),
    "ruby2.7": date(2023, 11, 27),
    "ruby3.2": date(2026, 3, 31),
    "ruby3.3": date(2027, 3, 31),
    "go1.x": date(2024, 1, 8),
    "provided": date(2024, 1, 8),
    "provided.al2": date(2026, 6, 30),
    "provided.al2023": date(2029, 6, 30),
}


def deprecation(runtime: str, today: date) -> tuple[bool, date | None]:
    """``(deprecated today, deprecation date)`` of a runtime; unknown runtimes are not flagged."""
    when = DEPRECATED_RUNTIMES.get(runtime)
    return (when is not None and when <= today), when


def run(session: boto3.Session, target: Target, params: Mapping[str, Any], dry_run: bool) -> Iterator[Row]:
    today = datetime.now(UTC).date()
    lam = client(session, "lambda", target.region)
    for page in lam.get_paginator("list_functions").paginate():
        for f in page["Functions"]:
            runtime = f.get("Runtime", "")
            deprecated, when = deprecation(runtime, today)
            yield {
                "function_name": f["FunctionName"],
                "runtime": runtime,
                "deprecated": deprecated,
                "deprecation_date": when,
                "last_modified": f.get("LastModified", ""),
                "package_type": f.get("PackageType", "Zip"),
                "architectures": f.get("Architectures", ["x86_64"]),
                "function_arn": f["FunctionArn"],
            }


OPERATION = Operation(
    name="lambda-functions",
    description=(
        "Every Lambda function: runtime, last modified, and whether the runtime is deprecated "
        "(with its deprecation date, past or coming)."
    ),
    role="readonly",
    actions=("lambda:ListFunctions",),
    key=("function_arn",),
    noun="Lambda functions",
    columns=(
        "function_name",
        "runtime",
        "deprecated",
        "deprecation_date",
        "last_modified",
        "package_type",
        "architectures",
        "function_arn",
    ),
    column_types={"deprecated": "boolean", "deprecation_date": "date", "last_modified": "timestamp"},
    run=run,
)
