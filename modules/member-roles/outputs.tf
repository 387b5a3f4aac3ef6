output "stack_set_name" {
  description = "Name of the StackSet that deploys the member roles (null when create_stack_set is false)."
  value       = one(aws_cloudformation_stack_set.this[*].name)
}

output "org_reader_role_arn" {
  description = "ARN of the org-reader role in the management account (the fanout's ORGOPS_ORG_ROLE_ARN); null when not created here."
  value       = one(aws_iam_role.org_reader[*].arn)
}

output "org_reader_role_name" {
  description = "Name of the org-reader role (the member role of operations with role \"organization\"); null when not created here."
  value       = one(aws_iam_role.org_reader[*].name)
}

output "management_account_role_arns" {
  description = "ARNs of the member roles in the management account: keyed readonly/admin, or by operation with per_operation (empty when none is created)."
  value       = { for k, r in aws_iam_role.member : k => r.arn }
}

output "deployment_organizational_unit_ids" {
  description = "The OUs (or root) the StackSet deploys to."
  value       = local.deployment_ou_ids
}
