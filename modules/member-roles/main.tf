# The member roles, in every account of the chosen OUs by a service-managed StackSet, and in the
# management account directly (a service-managed StackSet never deploys there). Run this module
# with the management account's provider, or, for a StackSets delegated administrator, twice: the
# StackSet with the delegated account's provider (call_as = "DELEGATED_ADMIN", create_org_reader
# and management_account_roles empty, organization given), everything else with the
# management account's provider (create_stack_set = false). terraform/main.tf does exactly that.

# Read only when the organization is not given: `roots` is a management-account attribute, which a
# StackSets delegated administrator cannot read (the root configuration passes it in then).
data "aws_organizations_organization" "this" {
  count = var.organization == null ? 1 : 0
}

data "aws_partition" "current" {}

locals {
  organization = var.organization != null ? var.organization : {
    id                    = data.aws_organizations_organization.this[0].id
    management_account_id = data.aws_organizations_organization.this[0].master_account_id
    root_id               = data.aws_organizations_organization.this[0].roots[0].id
  }
  partition             = data.aws_partition.current.partition
  organization_id       = local.organization.id
  management_account_id = local.organization.management_account_id
  deployment_ou_ids     = length(var.organizational_unit_ids) > 0 ? var.organizational_unit_ids : [local.organization.root_id]

  derived = var.policy_mode == "derived"
  # Trust of each member role: only the matching worker Lambda role in the operations account.
  member_roles = {
    readonly = {
      name        = var.readonly_role_name
      trusted_arn = var.readonly_lambda_role_arn
      policy_arns = local.derived ? [] : var.readonly_policy_arns
    }
    admin = {
      name        = var.admin_role_name
      trusted_arn = var.admin_lambda_role_arn
      policy_arns = local.derived ? [] : var.admin_policy_arns
    }
  }
  # The parameters of templates/member-roles.cfn.json (the shared roles; its scoped statements are
  # written into it, policies.tf): the actions on "*" in local.stack_set_actions.
  shared_template_parameters = {
    ReadonlyRoleName      = var.readonly_role_name
    AdminRoleName         = var.admin_role_name
    ReadonlyLambdaRoleArn = var.readonly_lambda_role_arn
    AdminLambdaRoleArn    = var.admin_lambda_role_arn
    ReadonlyPolicyArns    = join(",", var.readonly_policy_arns)
    AdminPolicyArns       = join(",", var.admin_policy_arns)
    PolicyMode            = var.policy_mode
    ReadonlyActions       = join(",", local.stack_set_actions["readonly"])
    AdminActions          = join(",", local.stack_set_actions["admin"])
  }
}

resource "aws_cloudformation_stack_set" "this" {
  count = var.create_stack_set ? 1 : 0

  name             = var.stack_set_name
  description      = "orgops member roles (operation-readonly, operation-admin), trusted only by the orgops worker Lambda roles."
  permission_model = "SERVICE_MANAGED"
  call_as          = var.call_as
  capabilities     = ["CAPABILITY_NAMED_IAM"]
  template_body    = var.per_operation ? var.per_operation_template : local.shared_template

  # The per-operation template takes no parameters: the roles, trusts and actions are in it.
  parameters = var.per_operation ? {} : local.shared_template_parameters

  auto_deployment {
    enabled                          = true
    retain_stacks_on_account_removal = false
  }

  managed_execution {
    active = true
  }

  operation_preferences {
    failure_tolerance_percentage = var.operation_preferences.failure_tolerance_percentage
    max_concurrent_percentage    = var.operation_preferences.max_concurrent_percentage
    region_concurrency_type      = var.operation_preferences.region_concurrency_type
  }

  tags = var.tags

  lifecycle {
    # Service-managed StackSets have no administration role; AWS fills it in.
    ignore_changes = [administration_role_arn]
  }
}

resource "aws_cloudformation_stack_set_instance" "this" {
  count = var.create_stack_set ? 1 : 0

  stack_set_name            = aws_cloudformation_stack_set.this[0].name
  call_as                   = var.call_as
  stack_set_instance_region = var.stack_set_region

  deployment_targets {
    organizational_unit_ids = local.deployment_ou_ids
  }

  operation_preferences {
    failure_tolerance_percentage = var.operation_preferences.failure_tolerance_percentage
    max_concurrent_percentage    = var.operation_preferences.max_concurrent_percentage
    region_concurrency_type      = var.operation_preferences.region_concurrency_type
  }
}

# --- The member roles in the management account ------------------------------------------------
# A service-managed StackSet never deploys there. Shared roles (keyed readonly/admin) or, with
# per_operation, one role per operation (keyed by operation); management_account_roles filters
# them by kind (local.management_roles, policies.tf). In derived mode (always with per_operation)
# each gets its statements as a policy, scoped to this account where the operations scope them.

data "aws_iam_policy_document" "member_trust" {
  for_each = local.management_roles

  statement {
    sid     = "WorkerLambdaOnly"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = [each.value.trusted_arn]
    }
  }
}

resource "aws_iam_role" "member" {
  for_each = local.management_roles

  name                 = each.value.name
  description          = each.value.description
  assume_role_policy   = data.aws_iam_policy_document.member_trust[each.key].json
  max_session_duration = 3600
  tags                 = var.tags
}

# Derived mode: the same customer-managed policies as the StackSet's, in the management account:
# the statements of local.management_statements (policies.tf), this account's ARNs in them.
data "aws_iam_policy_document" "member_actions" {
  for_each = local.derived || var.per_operation ? { for k, statements in local.management_statements : k => statements if length(statements) > 0 } : {}

  dynamic "statement" {
    for_each = each.value

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_policy" "member" {
  # No checkov skip: the statements are the operations' own, each write on its scoped ARNs where
  # AWS allows one; checkov and the IAM database check run on them as rendered
  # (tests/terraform/test_member_role_policies.py, test_iam_database.py).
  for_each = data.aws_iam_policy_document.member_actions

  name        = "${local.management_roles[each.key].name}-actions"
  description = "orgops: exactly the actions the deployed ${each.key} operation(s) declare (and their tests prove)."
  policy      = each.value.json
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "member_actions" {
  for_each = aws_iam_policy.member

  role       = aws_iam_role.member[each.key].name
  policy_arn = each.value.arn
}

# Managed mode (shared roles only): AWS's or the user's managed policies.
resource "aws_iam_role_policy_attachment" "member" {
  for_each = {
    for pair in flatten([
      for role, r in local.member_roles : [for arn in r.policy_arns : { key = "${role} ${arn}", role = role, arn = arn }]
    ]) : pair.key => pair if contains(keys(local.management_roles), pair.role) && !var.per_operation
  }

  role       = aws_iam_role.member[each.value.role].name
  policy_arn = each.value.arn
}

# --- The org-reader: lists the organization for the fanout ------------------------------------

data "aws_iam_policy_document" "org_reader_trust" {
  statement {
    sid     = "FanoutAndOrganizationWorkerOnly"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = var.org_reader_trusted_role_arns
    }
  }
}

data "aws_iam_policy_document" "org_reader" {
  # ListAccounts, ListRoots and DescribeOrganization accept no resource narrower than "*"
  # (read-only, documented); every other call is scoped to this organization's ARNs.
  statement {
    sid = "ReadOrganization"
    actions = [
      "organizations:DescribeOrganization",
      "organizations:ListAccounts",
      "organizations:ListRoots",
    ]
    resources = ["*"]
  }

  statement {
    sid = "ReadOrganizationTree"
    actions = [
      "organizations:DescribeAccount",
      "organizations:DescribeOrganizationalUnit",
      "organizations:ListAccountsForParent",
      "organizations:ListChildren",
      "organizations:ListOrganizationalUnitsForParent",
      "organizations:ListParents",
      "organizations:ListTagsForResource",
    ]
    resources = [
      "arn:${local.partition}:organizations::${local.management_account_id}:account/${local.organization_id}/*",
      "arn:${local.partition}:organizations::${local.management_account_id}:ou/${local.organization_id}/ou-*",
      "arn:${local.partition}:organizations::${local.management_account_id}:root/${local.organization_id}/r-*",
    ]
  }

  statement {
    sid     = "ListEnabledRegions"
    actions = ["account:ListRegions"]
    resources = [
      "arn:${local.partition}:account::${local.management_account_id}:account",
      "arn:${local.partition}:account::${local.management_account_id}:account/${local.organization_id}/*",
    ]
  }
}

resource "aws_iam_role" "org_reader" {
  count = var.create_org_reader ? 1 : 0

  name                 = var.org_reader_role_name
  description          = "orgops: lists the organization's accounts, OUs, tags and regions; assumed by the fanout only."
  assume_role_policy   = data.aws_iam_policy_document.org_reader_trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "org_reader" {
  count = var.create_org_reader ? 1 : 0

  name   = "read-organization"
  role   = aws_iam_role.org_reader[0].id
  policy = data.aws_iam_policy_document.org_reader.json
}
