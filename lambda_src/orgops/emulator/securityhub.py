"""Security Hub standards for moto, which lacks them (moto 5.2.5 answers 404 "Not yet implemented").

Adds ``DescribeStandards``, ``GetEnabledStandards``, ``BatchEnableStandards`` and
``BatchDisableStandards`` to moto's Security Hub, and makes ``EnableSecurityHub`` subscribe the
default standards as AWS does unless ``EnableDefaultStandards`` is false. Subscriptions are READY
at once (AWS passes through PENDING). Installed by ``orgops.emulator.seams.install``.
"""

from __future__ import annotations

import json
import re
from typing import Any

STANDARDS = {
    "aws-foundational-security-best-practices/v/1.0.0": (
        "standards",
        "AWS Foundational Security Best Practices v1.0.0",
        True,
    ),
    "cis-aws-foundations-benchmark/v/1.2.0": ("ruleset", "CIS AWS Foundations Benchmark v1.2.0", True),
    "cis-aws-foundations-benchmark/v/1.4.0": ("standards", "CIS AWS Foundations Benchmark v1.4.0", False),
    "cis-aws-foundations-benchmark/v/3.0.0": ("standards", "CIS AWS Foundations Benchmark v3.0.0", False),
    "nist-800-53/v/5.0.0": ("standards", "NIST Special Publication 800-53 Revision 5", False),
    "pci-dss/v/3.2.1": ("standards", "PCI DSS v3.2.1", False),
}
_STANDARD_ARN = re.compile(r"^arn:aws:securityhub:[a-z0-9-]*::(?:standards|ruleset)/(?P<id>.+)$")
_SUBSCRIPTION_ARN = re.compile(
    r"^arn:aws:securityhub:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):subscription/(?P<id>.+)$"
)

URL_PATHS = {
    "{0}/standards$": "describe_standards",
    "{0}/standards/get$": "get_enabled_standards",
    "{0}/standards/register$": "batch_enable_standards",
    "{0}/standards/deregister$": "batch_disable_standards",
}


def standard_arn(region: str, standard_id: str) -> str:
    kind = STANDARDS[standard_id][0]
    return (
        f"arn:aws:securityhub:::ruleset/{standard_id}"
        if kind == "ruleset"
        else (f"arn:aws:securityhub:{region}::standards/{standard_id}")
    )


def _subscriptions(backend: Any) -> dict[str, dict[str, Any]]:
    subs = getattr(backend, "orgops_standards", None)
    if subs is None:
        subs = backend.orgops_standards = {}
    return subs


def _not_subscribed(backend: Any) -> Exception:
    from moto.securityhub.exceptions import SecurityHubClientError

    return SecurityHubClientError(
        "InvalidAccessException", f"Account {backend.account_id} is not subscribed to AWS Security Hub"
    )


def _invalid(message: str) -> Exception:
    from moto.securityhub.exceptions import SecurityHubClientError

    return SecurityHubClientError("InvalidInputException", message)


def enable_standards(backend: Any, arns: list[str]) -> list[dict[str, Any]]:
    if not backend.enabled:
        raise _not_subscribed(backend)
    out = []
    for arn in arns:
        m = _STANDARD_ARN.match(arn)
        if not m or m["id"] not in STANDARDS:
            raise _invalid(f"Invalid StandardsArn {arn}")
        sub_arn = f"arn:aws:securityhub:{backend.region_name}:{backend.account_id}:subscription/{m['id']}"
        sub = {
            "StandardsSubscriptionArn": sub_arn,
            "StandardsArn": arn,
            "StandardsInput": {},
            "StandardsStatus": "READY",
            "StandardsControlsUpdatable": "READY_FOR_UPDATES",
        }
        _subscriptions(backend)[sub_arn] = sub
        out.append(sub)
    return out


def disable_standards(backend: Any, sub_arns: list[str]) -> list[dict[str, Any]]:
    if not backend.enabled:
        raise _not_subscribed(backend)
    out = []
    for arn in sub_arns:
        sub = _subscriptions(backend).pop(arn, None)
        if sub is None:
            raise _invalid(f"No subscription found with ARN {arn}")
        out.append({**sub, "StandardsStatus": "DELETING"})
    return out


def enabled_standards(backend: Any, sub_arns: list[str] | None) -> list[dict[str, Any]]:
    if not backend.enabled:
        raise _not_subscribed(backend)
    subs = _subscriptions(backend)
    if sub_arns:
        return [subs[a] for a in sub_arns if a in subs]
    return [subs[k] for k in sorted(subs)]


# -- response methods, installed on moto's SecurityHubResponse ----------------------------------
def describe_standards(self: Any) -> str:
    region = self.region
    standards = [
        {
            "StandardsArn": standard_arn(region, sid),
            "Name": name,
            "Description": name,
            "EnabledByDefault": default,
            "StandardsManagedBy": {"Company": "AWS", "Product": "Security Hub"},
        }
        for sid, (_kind, name, default) in STANDARDS.items()
    ]
    return json.dumps({"Standards": standards})


def get_enabled_standards(self: Any) -> str:
    params = json.loads(self.body) if self.body else {}
    subs = enabled_standards(self.securityhub_backend, params.get("StandardsSubscriptionArns"))
    return json.dumps({"StandardsSubscriptions": subs})


def batch_enable_standards(self: Any) -> str:
    params = json.loads(self.body) if self.body else {}
    arns = [r["StandardsArn"] for r in params.get("StandardsSubscriptionRequests", [])]
    return json.dumps({"StandardsSubscriptions": enable_standards(self.securityhub_backend, arns)})


def batch_disable_standards(self: Any) -> str:
    params = json.loads(self.body) if self.body else {}
    subs = disable_standards(self.securityhub_backend, params.get("StandardsSubscriptionArns", []))
    return json.dumps({"StandardsSubscriptions": subs})


RESPONSE_METHODS = {
    "describe_standards": describe_standards,
    "get_enabled_standards": get_enabled_standards,
    "batch_enable_standards": batch_enable_standards,
    "batch_disable_standards": batch_disable_standards,
}


def wrap_enable_security_hub(original: Any) -> Any:
    """``EnableSecurityHub`` subscribes the default standards unless told not to, as in AWS."""

    def enable_security_hub(
        self: Any, enable_default_standards: bool = True, tags: dict[str, str] | None = None
    ) -> dict[str, Any]:
        from orgops.emulator import lambdas

        was_enabled = self.enabled
        result = original(self, enable_default_standards=enable_default_standards, tags=tags)
        if enable_default_standards and not was_enabled and lambdas.active() is not None:
            defaults = [standard_arn(self.region_name, sid) for sid, (_k, _n, on) in STANDARDS.items() if on]
            enable_standards(self, defaults)
        return result

    enable_security_hub.orgops_wrapped = original  # type: ignore[attr-defined]
    return enable_security_hub
