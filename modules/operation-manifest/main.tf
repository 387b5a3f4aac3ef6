# The member roles' permissions, derived from what the deployed operations declare (their
# `actions`, proved by their tests, and the ARN patterns of the scoped ones): no provider, only
# the manifest. operation-readonly gets the union of the read operations' grants, operation-admin
# that of the mutating (admin) operations, their reads included. Operations of role
# "organization" run as the org-reader, not here.

locals {
  manifest = jsondecode(file(var.manifest_path))
  deployed = { for name, op in local.manifest.operations : name => op if contains(var.operations, name) }
  unknown  = sort(setsubtract(var.operations, keys(local.manifest.operations)))

  readonly_actions = sort(distinct(flatten([for op in values(local.deployed) : op.actions if op.role == "readonly"])))
  admin_actions    = sort(distinct(flatten([for op in values(local.deployed) : op.actions if op.role == "admin"])))
  roles            = { for name, op in local.deployed : name => op.role }
}

# Resource scoping: each action is allowed on "*" unless its operation scopes it (the manifest's
# `resources`: ARN patterns with ${Partition} and ${Account}, which the member roles' renderers
# substitute) or gives it a condition (`conditions`). A policy's statements: each action's
# resources are the union over the policy's operations (an unscoped grant, "*" without condition,
# makes the action's others redundant: they are dropped); the actions with the same resources and
# condition share one statement. The unscoped statement comes first, then the others by resources
# and condition (orgops.operations.base.policy_statements builds the same in Python).
locals {
  # Every deployed operation's grants; a condition as JSON (conditions differ in shape).
  grants = {
    for name, op in local.deployed : name => [
      for a in op.actions : {
        action    = a
        resources = try(op.resources[a], ["*"])
        condition = jsonencode(try(op.conditions[a], {}))
      }
    ]
  }

  # The policies: each shared role's (the union of its deployed operations), each member
  # operation's own (member_roles.per_operation).
  policy_operations = merge(
    {
      "role:readonly" = [for name, op in local.deployed : name if op.role == "readonly"]
      "role:admin"    = [for name, op in local.deployed : name if op.role == "admin"]
    },
    { for name in keys(local.member_operations) : "operation:${name}" => [name] },
  )

  # policy -> "action condition" -> the grants of its operations.
  policy_grants = {
    for policy, names in local.policy_operations : policy => {
      for g in flatten([for n in names : local.grants[n]]) : "${g.action} ${g.condition}" => g...
    }
  }
  # ... merged: one grant per action and condition, its resources the union ("*" absorbs).
  policy_merged = {
    for policy, by in local.policy_grants : policy => [
      for key, gs in by : {
        action    = gs[0].action
        condition = gs[0].condition
        resources = contains(flatten([for g in gs : g.resources]), "*") ? ["*"] : sort(distinct(flatten([for g in gs : g.resources])))
      }
    ]
  }
  unscoped_key = "${jsonencode(["*"])}{}"
  policy_unscoped = {
    for policy, merged in local.policy_merged : policy => [for g in merged : g.action if g.condition == "{}" && contains(g.resources, "*")]
  }
  # 1 when the policy has an unscoped statement (then its first), else 0: the scoped statements'
  # Sids count from 1 either way.
  has_unscoped = { for policy, actions in local.policy_unscoped : policy => length(actions) > 0 ? 1 : 0 }
  # policy -> "resources condition" (as JSON) -> its grants.
  policy_groups = {
    for policy, merged in local.policy_merged : policy => {
      for g in merged : "${jsonencode(g.resources)}${g.condition}" => g...
      if !contains(local.policy_unscoped[policy], g.action) || (g.condition == "{}" && contains(g.resources, "*"))
    }
  }
  # policy -> its statements: actions, resources (placeholders kept) and condition ({} for none).
  statements = {
    for policy, groups in local.policy_groups : policy => [
      for key in concat([for k in keys(groups) : k if k == local.unscoped_key], [for k in keys(groups) : k if k != local.unscoped_key]) : {
        actions   = sort([for g in groups[key] : g.action])
        resources = groups[key][0].resources
        condition = jsondecode(groups[key][0].condition)
      }
    ]
  }
  readonly_statements = local.statements["role:readonly"]
  admin_statements    = local.statements["role:admin"]
  operation_statements = {
    for name in keys(local.member_operations) : name => local.statements["operation:${name}"]
  }
}

# member_roles.per_operation: one member role per operation in every account, trusted only by
# that operation's worker Lambda role and allowed only that operation's actions, so a compromised
# worker of one operation cannot do what another may. A CloudFormation template (the StackSet's),
# built here because its resources depend on the deployed operations.
locals {
  member_operations = { for name, op in local.deployed : name => op if contains(["readonly", "admin"], op.role) }
  logical_id        = { for name in keys(local.member_operations) : name => join("", [for w in split("-", name) : title(w)]) }

  per_operation_role_names = { for name in keys(local.member_operations) : name => "${var.role_name_prefix}${name}" }

  per_operation_resources = merge([
    for name, op in local.member_operations : {
      "${local.logical_id[name]}Role" = {
        Type = "AWS::IAM::Role"
        Properties = {
          RoleName           = local.per_operation_role_names[name]
          Description        = "orgops: the ${name} operation only, assumed by its worker Lambda only."
          MaxSessionDuration = 3600
          AssumeRolePolicyDocument = {
            Version = "2012-10-17"
            Statement = [{
              Sid       = "OperationWorkerOnly"
              Effect    = "Allow"
              Principal = { AWS = lookup(var.worker_role_arns, name, "") }
              Action    = "sts:AssumeRole"
            }]
          }
          ManagedPolicyArns = [{ Ref = "${local.logical_id[name]}Policy" }]
        }
      }
      "${local.logical_id[name]}Policy" = {
        Type = "AWS::IAM::ManagedPolicy"
        # No checkov skip: the writes that support a resource are scoped; what stays on "*" are
        # the actions AWS authorises on "*" only (tests/terraform/test_operation_manifest.py runs
        # checkov and cfn-lint on the rendered template).
        Properties = {
          ManagedPolicyName = "${local.per_operation_role_names[name]}-actions"
          Description       = "orgops: exactly the actions the ${name} operation declares (and its tests prove), on its scoped resources."
          PolicyDocument = {
            Version   = "2012-10-17"
            Statement = local.cfn_statements[name]
          }
        }
      }
    }
  ]...)

  # Each member operation's statements for CloudFormation: the placeholders become Fn::Sub's
  # ${AWS::Partition} and ${AWS::AccountId} (so each account's role names its own account).
  cfn_statements = {
    for name, statements in local.operation_statements : name => [
      for i, s in statements : {
        for k, v in {
          Sid       = contains(s.resources, "*") && length(s.condition) == 0 ? "Operation" : "OperationScoped${i + 1 - local.has_unscoped["operation:${name}"]}"
          Effect    = "Allow"
          Action    = s.actions
          Resource  = [for r in s.resources : jsondecode(length(regexall("[$][{]", r)) > 0 ? jsonencode({ "Fn::Sub" = replace(replace(r, "$${Partition}", "$${AWS::Partition}"), "$${Account}", "$${AWS::AccountId}") }) : jsonencode(r))]
          Condition = { for test, keys in s.condition : test => { for key, values in keys : key => [for x in values : jsondecode(length(regexall("[$][{]", x)) > 0 ? jsonencode({ "Fn::Sub" = replace(replace(x, "$${Partition}", "$${AWS::Partition}"), "$${Account}", "$${AWS::AccountId}") }) : jsonencode(x))] } }
        } : k => v if k != "Condition" || length(s.condition) > 0
      }
    ]
  }

  per_operation_template = jsonencode({
    AWSTemplateFormatVersion = "2010-09-09"
    Description              = "orgops member roles, one per operation, each trusted only by that operation's worker Lambda role (modules/operation-manifest, member_roles.per_operation)."
    Resources                = local.per_operation_resources
  })
}
