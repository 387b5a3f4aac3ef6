"""The orgops emulator: the deployed state machines, run by moto, calling the real handlers.

For developing and testing an operation without an AWS account. Not shipped in the Lambda zip
(``build.py`` skips this package: it imports moto). Two ways to run the same world:

In-process (tests, the demo)::

    from orgops.emulator import Emulator
    with Emulator.in_process() as emu:              # mock_aws; the organization and stack deployed
        world = emu.build_organization()           # 13 accounts in nested OUs (optional)
        ex = emu.run("unused-ebs-volumes", {"Regions": ["eu-west-1"]})
        ex.status, ex.output["ReportUri"], emu.read_csv(ex.output["ReportUri"])

As a server (``orgops emulator``; any client: AWS CLI, boto3 with ``endpoint_url``)::

    with Emulator.serve(port=0) as emu:             # moto's server app on 127.0.0.1, behind the emulator's guards
        emu.endpoint, emu.stack.state_machines

Pieces: ``seams`` (the moto internals replaced, with a guard), ``lambdas`` (the invoke router),
``access`` (AssumeRole as AWS checks it), ``stack`` (the Terraform root's resources), ``world``
(an organization with member roles), ``seed`` (resources each operation finds), ``runs``
(start, wait, read reports), ``server`` (the ``orgops emulator`` command), ``demo``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orgops.emulator.core import DEFAULT_REGION, Emulator
    from orgops.emulator.lambdas import Router
    from orgops.emulator.runs import Execution
    from orgops.emulator.stack import OperationSettings, Stack, StackSettings
    from orgops.emulator.world import DEMO_ACCOUNTS, AccountSpec, World

# Imported on first use (PEP 562), so that ``orgops --help`` does not load the emulator.
_EXPORTS = {
    "DEFAULT_REGION": "orgops.emulator.core",
    "Emulator": "orgops.emulator.core",
    "Router": "orgops.emulator.lambdas",
    "Execution": "orgops.emulator.runs",
    "OperationSettings": "orgops.emulator.stack",
    "Stack": "orgops.emulator.stack",
    "StackSettings": "orgops.emulator.stack",
    "DEMO_ACCOUNTS": "orgops.emulator.world",
    "AccountSpec": "orgops.emulator.world",
    "World": "orgops.emulator.world",
}
__all__ = [
    "DEFAULT_REGION",
    "DEMO_ACCOUNTS",
    "AccountSpec",
    "Emulator",
    "Execution",
    "OperationSettings",
    "Router",
    "Stack",
    "StackSettings",
    "World",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'orgops.emulator' has no attribute {name!r}")
