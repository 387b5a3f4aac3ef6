# The member roles' derived policies, rendered from the operation manifest's statements
# (modules/operation-manifest: each action on "*" or on its scoped ARN patterns, which keep the
# placeholders ${Partition} and ${Account}). Only variables and two locals of main.tf (partition,
# management_account_id): tests/terraform/test_member_role_policies.py evaluates this file with
# `terraform console`.

locals {
  # Each shared role's statements: the manifest's (readonly_statements / admin_statements) or,
  # given only the action lists (readonly_actions / admin_actions), every action on "*".
  shared_statements = {
    readonly = var.readonly_statements != null ? var.readonly_statements : [
      for actions in [var.readonly_actions] : { actions = actions, resources = ["*"], condition = {} } if length(actions) > 0
    ]
    admin = var.admin_statements != null ? var.admin_statements : [
      for actions in [var.admin_actions] : { actions = actions, resources = ["*"], condition = {} } if length(actions) > 0
    ]
  }
  shared_sids = { readonly = "DeployedReadOperations", admin = "DeployedAdminOperations" }

  # The StackSet's shared template: the unscoped actions ("*", no condition) are its parameters
  # ReadonlyActions / AdminActions; the scoped statements are written into the template, each ARN
  # pattern an Fn::Sub of ${AWS::Partition} and ${AWS::AccountId} (each account's role names its
  # own account).
  shared_unscoped_actions = {
    for k, statements in local.shared_statements : k => sort(distinct(flatten([
      for s in statements : s.actions if contains(s.resources, "*") && length(s.condition) == 0
    ])))
  }
  # CloudFormation refuses an empty CommaDelimitedList: a role no deployed operation needs gets a
  # harmless read (sts:GetCallerIdentity needs no permission at all, so it grants nothing).
  stack_set_actions = { for k, actions in local.shared_unscoped_actions : k => length(actions) > 0 ? actions : ["sts:GetCallerIdentity"] }
  shared_cfn_scoped = {
    for k, statements in local.shared_statements : k => [
      for i, s in [for s in statements : s if !(contains(s.resources, "*") && length(s.condition) == 0)] : {
        for key, value in {
          Sid       = "${local.shared_sids[k]}Scoped${i + 1}"
          Effect    = "Allow"
          Action    = s.actions
          Resource  = [for r in s.resources : jsondecode(length(regexall("[$][{]", r)) > 0 ? jsonencode({ "Fn::Sub" = replace(replace(r, "$${Partition}", "$${AWS::Partition}"), "$${Account}", "$${AWS::AccountId}") }) : jsonencode(r))]
          Condition = { for test, keys in s.condition : test => { for name, values in keys : name => [for x in values : jsondecode(length(regexall("[$][{]", x)) > 0 ? jsonencode({ "Fn::Sub" = replace(replace(x, "$${Partition}", "$${AWS::Partition}"), "$${Account}", "$${AWS::AccountId}") }) : jsonencode(x))] } }
        } : key => value if key != "Condition" || length(s.condition) > 0
      }
    ]
  }
  shared_template_base = jsondecode(file("${path.module}/templates/member-roles.cfn.json"))
  shared_policy_ids    = { readonly = "ReadonlyPolicy", admin = "AdminPolicy" }
  shared_template = jsonencode(merge(local.shared_template_base, {
    Resources = merge(local.shared_template_base.Resources, {
      for k, id in local.shared_policy_ids : id => merge(local.shared_template_base.Resources[id], {
        Properties = merge(local.shared_template_base.Resources[id].Properties, {
          PolicyDocument = merge(local.shared_template_base.Resources[id].Properties.PolicyDocument, {
            Statement = concat(local.shared_template_base.Resources[id].Properties.PolicyDocument.Statement, local.shared_cfn_scoped[k])
          })
        })
      })
    })
  }))

  # The member roles in the management account (see main.tf): shared roles (keyed readonly/admin)
  # or, with per_operation, one per operation (keyed by operation); management_account_roles
  # filters them by kind. A per-operation role without statements (per_operation_statements) gets
  # its actions on "*".
  per_operation_statements = {
    for op, r in var.per_operation_roles : op => contains(keys(var.per_operation_statements), op) ? var.per_operation_statements[op] : [
      for actions in [r.actions] : { actions = actions, resources = ["*"], condition = {} } if length(actions) > 0
    ]
  }
  management_roles = var.per_operation ? {
    for op, r in var.per_operation_roles : op => {
      name        = r.name
      trusted_arn = r.trusted_arn
      statements  = local.per_operation_statements[op]
      sid         = "Operation"
      description = "orgops: the ${op} operation only, in the management account, assumed by its worker Lambda only."
    } if contains(var.management_account_roles, r.kind)
    } : {
    for k, trusted in { readonly = var.readonly_lambda_role_arn, admin = var.admin_lambda_role_arn } : k => {
      name                       = k == "readonly" ? var.readonly_role_name : var.admin_role_name
      trusted_arn                = trusted
      statements                 = local.shared_statements[k]
      sid                        = local.shared_sids[k]
      description                = "orgops ${k} operations in the management account, assumed by the ${k} worker Lambda only."
    } if contains(var.management_account_roles, k)
  }
  # Their statements for aws_iam_policy_document, the placeholders replaced by this provider's
  # partition and the management account's id.
  management_statements = {
    for k, r in local.management_roles : k => [
      for i, s in r.statements : {
        sid       = contains(s.resources, "*") && length(s.condition) == 0 ? r.sid : "${r.sid}Scoped${i + 1 - (contains(r.statements[0].resources, "*") && length(r.statements[0].condition) == 0 ? 1 : 0)}"
        actions   = s.actions
        resources = [for x in s.resources : replace(replace(x, "$${Partition}", local.partition), "$${Account}", local.management_account_id)]
        conditions = flatten([
          for test, keys in s.condition : [
            for name, values in keys : {
              test     = test
              variable = name
              values   = [for x in values : replace(replace(x, "$${Partition}", local.partition), "$${Account}", local.management_account_id)]
            }
          ]
        ])
      }
    ]
  }
}
