# The member roles' permissions, derived from what the deployed operations declare (their
# `actions`, proved by their tests): no provider, only the manifest. operation-readonly gets the
# union of the read operations' actions, operation-admin that of the mutating (admin) operations,
# their reads included. Operations of role "organization" run as the org-reader, not here.

locals {
  manifest = jsondecode(file(var.manifest_path))
  deployed = { for name, op in local.manifest.operations : name => op if contains(var.operations, name) }
  unknown  = sort(setsubtract(var.operations, keys(local.manifest.operations)))

  readonly_actions = sort(distinct(flatten([for op in values(local.deployed) : op.actions if op.role == "readonly"])))
  admin_actions    = sort(distinct(flatten([for op in values(local.deployed) : op.actions if op.role == "admin"])))
  roles            = { for name, op in local.deployed : name => op.role }
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
        Metadata = op.role == "admin" ? {
          checkov = { skip = [
            { id = "CKV_AWS_109", comment = "The operation's declared write actions act on the resources each run finds: none is known at deploy time." },
            { id = "CKV_AWS_111", comment = "As above: exactly the operation's declared actions, nothing else." },
          ] }
        } : {}
        Properties = {
          ManagedPolicyName = "${local.per_operation_role_names[name]}-actions"
          Description       = "orgops: exactly the actions the ${name} operation declares (and its tests prove)."
          PolicyDocument = {
            Version   = "2012-10-17"
            Statement = [{ Sid = "Operation", Effect = "Allow", Action = op.actions, Resource = "*" }]
          }
        }
      }
    }
  ]...)

  per_operation_template = jsonencode({
    AWSTemplateFormatVersion = "2010-09-09"
    Description              = "orgops member roles, one per operation, each trusted only by that operation's worker Lambda role (modules/operation-manifest, member_roles.per_operation)."
    Resources                = local.per_operation_resources
  })
}
