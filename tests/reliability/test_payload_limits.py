"""The fanout never hands Step Functions an output over 256 KiB (which fails the execution with
``States.DataLimitExceeded``, naming nothing): it refuses with the setting or field to change."""

from __future__ import annotations

from typing import Any

import pytest

from orgops.config import FanoutSettings
from orgops.errors import InvalidInput
from orgops.handlers.fanout import check_output_size, fanout
from orgops.targets import MAX_INPUT_BYTES, Target, json_size
from tests.reliability.accounting import statuses
from tests.reliability.conftest import Reliability


def inline_result(count: int, params: dict[str, Any] | None = None) -> dict[str, Any]:
    targets = [Target(f"{i:012d}", f"account-{i:05d}", "ap-southeast-2").as_item() for i in range(count)]
    return {
        "Operation": "vpcs",
        "ExecutionId": "arn:aws:states:us-east-1:111111111111:execution:orgops-vpcs:run-1",
        "TargetCount": count,
        "Skipped": 0,
        "Common": {"Operation": "vpcs", "Params": params or {}, "DryRun": True, "ExpiresAt": 1},
        "Mode": "INLINE",
        "AccountRegions": targets,
        "Batches": None,
        "MapError": None,
    }


def test_the_default_threshold_of_inline_targets_fits_with_room_to_spare() -> None:
    result = inline_result(1000)

    check_output_size(result)
    assert json_size(result) < MAX_INPUT_BYTES // 2


def test_too_many_inline_targets_name_the_distributed_threshold_and_a_value_that_fits() -> None:
    result = inline_result(4000)

    with pytest.raises(InvalidInput) as caught:
        check_output_size(result)

    message = str(caught.value)
    prefix = (
        f"DistributedThreshold: 4000 targets inline make the fanout's output {json_size(result)} bytes, over "
        "Step Functions' limit of 262144 bytes (256 KiB): lower distributed_threshold in Terraform to "
    )
    assert message.startswith(prefix)
    assert message.endswith(" or less, so that such runs take the distributed Map")
    fits = int(message[len(prefix) :].split(" ", 1)[0])
    check_output_size(inline_result(fits))  # the suggested value fits...
    with pytest.raises(InvalidInput):  # ...and is within 2% of the most that does
        check_output_size(inline_result(int(fits * 1.02)))


def test_params_that_leave_no_room_for_the_targets_are_named() -> None:
    result = inline_result(40, {"RequiredTags": {"Notes": "x" * (MAX_INPUT_BYTES - 1000)}})

    with pytest.raises(InvalidInput) as caught:
        check_output_size(result)

    assert caught.value.field == "Params"
    assert str(caught.value).endswith("pass shorter Params")


def test_the_fanout_refuses_an_oversized_output_before_writing_anything(faults: Reliability) -> None:
    # Given an input just under 256 KiB (Params nearly all of it) selecting a suspended account,
    # whose SKIPPED status the fanout would write
    emu, world = faults.emu, faults.world
    selection = {"Regions": ["eu-west-1"], "Accounts": {"Include": [faults.id("alpha"), faults.id("retired")]}}
    room = MAX_INPUT_BYTES - json_size({**selection, "Params": {"RequiredTags": []}})
    tags = [f"t{i:099d}" for i in range(room // 103 - 1)]  # distinct; each with quotes and comma: 103 bytes
    tags.append("u" * (room - json_size(tags) - 1))  # fills the input to exactly 256 KiB
    execution_input = {**selection, "Params": {"RequiredTags": tags}}
    assert json_size(execution_input) == MAX_INPUT_BYTES
    arn = f"arn:aws:states:us-east-1:{world.management_account_id}:execution:orgops-tags:oversized"
    session = emu.router.function_session(
        world.management_account_id, "us-east-1", emu.stack.roles["fanout_role"], "orgops-fanout"
    )
    settings = FanoutSettings(
        data_bucket=emu.stack.data_bucket,
        status_table=emu.stack.status_table,
        org_role_arn=emu.stack.org_reader_role_arn,
        result_ttl_days=30,
    )
    event = {"Input": execution_input, "Operation": "tags", "DefaultRegions": "eu-west-1", "ExecutionId": arn}

    with pytest.raises(InvalidInput) as caught:
        fanout(event, settings, session)

    assert caught.value.field == "Params"
    assert statuses(emu, arn) == []
