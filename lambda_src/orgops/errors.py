"""The project's own exceptions; AWS ``ClientError`` codes are turned into these at the edge."""

from __future__ import annotations

from orgops.text import safe_message

FIELD_LIMIT = 200


class OrgopsError(Exception):
    """Base class: every error orgops raises on purpose."""

    code = "OrgopsError"


class InvalidInput(OrgopsError):
    """The execution input (or an operation's Params) is malformed.

    The message always names the offending field, as a JSON path such as ``Accounts.Include[2]``,
    and says how to fix it. Raised by the fanout before any worker runs.
    """

    code = "InvalidInput"

    def __init__(self, field: str, problem: str) -> None:
        # Both may hold what the caller sent (a key, a value): escaped, bounded, scrubbed.
        self.field = safe_message(field, FIELD_LIMIT)
        self.problem = safe_message(problem)
        super().__init__(f"{self.field}: {self.problem}")


class UnknownOperation(InvalidInput):
    """No operation is registered under the given name."""

    code = "UnknownOperation"


class AssumeRoleFailed(OrgopsError):
    """The member account's role could not be assumed (missing role, broken trust, suspended)."""

    code = "AccessDenied"

    def __init__(self, role_arn: str, aws_code: str, message: str) -> None:
        self.role_arn = role_arn
        self.aws_code = aws_code
        super().__init__(f"cannot assume {role_arn}: {aws_code}: {message}")


class ConfigurationError(OrgopsError):
    """A Lambda's environment is missing a setting Terraform should have given it."""

    code = "ConfigurationError"


class PreflightFailed(OrgopsError):
    """``Preflight: true``: some selected accounts' member roles cannot be assumed by the worker's
    role; the execution fails before any worker runs, naming them."""

    code = "PreflightFailed"


class PlanMismatch(OrgopsError):
    """A worker applying a plan found its target's planned changes other than the plan sealed
    (the dry run's stored rows changed or are gone): the target fails and nothing is changed."""

    code = "PlanMismatch"
