# `terraform test` with mocked providers (Terraform >= 1.7, the AWS provider installed by
# `terraform init`; no credentials, nothing created): plans this root (the providers and
# module.orgops, modules/orgops) with terraform.tfvars if present, applies a minimal one against
# mocks, and checks the operations variable's validation. `make validate` runs it. Offline,
# `make test` proves the HCL statically.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "222222222222" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1", region = "us-east-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::222222222222:role/mock" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::orgops-data" }
  }
  mock_resource "aws_dynamodb_table" {
    defaults = { arn = "arn:aws:dynamodb:us-east-1:222222222222:table/orgops-status" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:222222222222:orgops-notifications" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:222222222222:key/00000000-0000-0000-0000-000000000000" }
  }
  mock_resource "aws_sfn_state_machine" {
    defaults = { arn = "arn:aws:states:us-east-1:222222222222:stateMachine:orgops-mock" }
  }
}

mock_provider "aws" {
  alias = "management"

  mock_data "aws_organizations_organization" {
    defaults = {
      id                = "o-abcdefghij"
      master_account_id = "111111111111"
      roots             = [{ id = "r-abcd", arn = "arn:aws:organizations::111111111111:root/o-abcdefghij/r-abcd", name = "Root", policy_types = [] }]
    }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
  # The role forwarding Organizations events (its ARN is validated by modules/platform).
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::111111111111:role/mock" }
  }
}

# The StackSets delegated administrator (run "minimal" sets member_roles.call_as = "DELEGATED_ADMIN").
mock_provider "aws" {
  alias = "stack_sets"

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
}

run "plan" {
  command = plan

  variables {
    operations = { "unused-ebs-volumes" = { role = "readonly" } }
  }
}

run "minimal" {
  command = apply

  variables {
    slack_webhook_parameter     = null
    notification_emails         = []
    management_account_role_arn = null
    stack_sets_account_role_arn = "arn:aws:iam::333333333333:role/orgops-stack-sets"
    operations                  = { "public-ips" = { role = "readonly" }, "accounts" = { role = "organization" } }
    member_roles                = { call_as = "DELEGATED_ADMIN", organizational_unit_ids = ["ou-abcd-12345678"] }
  }

  assert {
    condition     = join(",", sort(keys(output.state_machine_arns))) == "accounts,public-ips"
    error_message = "state_machine_arns must be keyed by operation."
  }
}

run "unknown_role_is_rejected" {
  command = plan

  variables {
    operations = { "public-ips" = { role = "superuser" } }
  }

  expect_failures = [var.operations]
}
