"""The registry of operations, by name.

Adding an operation: write ``orgops/operations/<module>.py`` with an ``OPERATION``, add the
module to ``MODULES`` below, and add an entry to the Terraform ``operations`` map.
"""

from __future__ import annotations

import importlib

from orgops.errors import UnknownOperation
from orgops.operations.base import Operation

MODULES = (
    # inventories (readonly)
    "unused_ebs_volumes",
    "unused_nat_gateways",
    "public_ips",
    "lambda_functions",
    "vpcs",
    "accounts",
    "cloudfront_distributions",
    "tags",
    "public_endpoints",
    # compliance (admin, dry run by default)
    "tag_remediation",
    "sg_open_ingress_remediation",
    # security (admin, dry run by default)
    "securityhub_standards",
    "inspector_activation",
)


def _load() -> dict[str, Operation]:
    registry: dict[str, Operation] = {}
    for module in MODULES:
        op: Operation = importlib.import_module(f"orgops.operations.{module}").OPERATION
        if op.name in registry:
            raise RuntimeError(f"two operations are named {op.name}")
        registry[op.name] = op
    return registry


REGISTRY: dict[str, Operation] = _load()


def get(name: str) -> Operation:
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownOperation(
            "Operation", f"no operation named {name!r}; known operations: {', '.join(sorted(REGISTRY))}"
        ) from None


MANIFEST_VERSION = 1


def manifest(registry: dict[str, Operation] | None = None) -> dict[str, object]:
    """What Terraform needs of each operation (``dist/operations.json``, written by build.py):
    its role and the IAM actions its member role must allow."""
    ops = REGISTRY if registry is None else registry
    return {
        "version": MANIFEST_VERSION,
        "operations": {
            name: {
                "role": op.role,
                "mutating": op.mutating,
                "actions": sorted({*op.actions, *op.extra_actions}),
            }
            for name, op in sorted(ops.items())
        },
    }
