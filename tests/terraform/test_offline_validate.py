"""Every aws_* resource and data block uses only arguments the AWS provider knows and sets the required ones."""

from __future__ import annotations

import textwrap

import hcl2
import pytest

from tests.terraform import hcl
from tests.terraform.offline_validate import check_block
from tests.terraform.provider_schema import schema

RESOURCES = [b for kind in ("resource", "data") for b in hcl.typed_blocks(kind) if b.type.startswith("aws_")]


def _check_text(text: str) -> list[str]:
    parsed = hcl2.loads(textwrap.dedent(text))
    (entry,) = parsed["resource"]
    ((type_label, named),) = hcl.body(entry).items()
    ((name, body),) = hcl.body(named).items()
    return check_block(schema("resource", hcl.label(type_label)), hcl.body(body), hcl.label(name), top_level=True)


def test_the_configuration_has_aws_blocks_to_check() -> None:
    assert len(RESOURCES) > 40


@pytest.mark.parametrize("block", RESOURCES, ids=lambda b: b.address)
def test_block_matches_the_aws_provider_schema(block) -> None:
    errors = check_block(schema(block.kind, block.type), hcl.body(block.body), block.address, top_level=True)
    assert errors == []


def test_checker_reports_an_unknown_argument() -> None:
    errors = _check_text("""
        resource "aws_sqs_queue" "q" {
          name           = "q"
          retention_days = 4
        }
    """)
    assert errors == ["q: unknown argument or block 'retention_days'"]


def test_checker_reports_a_missing_required_argument() -> None:
    errors = _check_text("""
        resource "aws_iam_role_policy" "p" {
          role = "r"
        }
    """)
    assert errors == ["p: required argument or block 'policy' is not set"]


def test_checker_reports_an_unknown_argument_in_a_nested_block() -> None:
    errors = _check_text("""
        resource "aws_dynamodb_table" "t" {
          name = "t"
          ttl {
            attribute = "expires_at"
          }
        }
    """)
    assert errors == ["t.ttl[0]: unknown argument or block 'attribute'"]


def test_checker_reports_a_missing_required_argument_in_a_dynamic_block() -> None:
    errors = _check_text("""
        resource "aws_s3_bucket_lifecycle_configuration" "l" {
          bucket = "b"
          dynamic "rule" {
            for_each = var.rules
            content {
              id = rule.key
            }
          }
        }
    """)
    assert errors == ["l.rule[0]: required argument or block 'status' is not set"]


def test_checker_reports_a_missing_required_block_three_levels_deep() -> None:
    errors = _check_text("""
        resource "aws_scheduler_schedule" "s" {
          schedule_expression = "rate(1 day)"
          flexible_time_window {
            mode = "OFF"
          }
          target {
            arn      = "a"
            role_arn = "r"
            retry_policy {
              maximum_retries = 3
            }
          }
        }
    """)
    assert errors == ["s.target[0].retry_policy[0]: unknown argument or block 'maximum_retries'"]


def test_checker_reports_a_block_written_as_an_attribute() -> None:
    errors = _check_text("""
        resource "aws_dynamodb_table" "t" {
          name = "t"
          ttl = {
            attribute_name = "expires_at"
          }
        }
    """)
    assert errors == ["t: 'ttl' is a nested block: write `ttl { ... }`, not `ttl = ...`"]
