output "readonly_actions" {
  description = "IAM actions of operation-readonly: the union of the deployed read operations' declared actions, sorted."
  value       = local.readonly_actions
}

output "admin_actions" {
  description = "IAM actions of operation-admin: the union of the deployed admin operations' declared actions, sorted."
  value       = local.admin_actions
}

output "readonly_statements" {
  description = "The statements of operation-readonly: the deployed read operations' grants, each action on \"*\" or on the union of its scoped ARN patterns (with $${Partition} and $${Account}), grouped by resources and condition: [{ actions, resources, condition }], the unscoped one first."
  value       = local.readonly_statements
}

output "admin_statements" {
  description = "The statements of operation-admin (as readonly_statements), from the deployed admin operations."
  value       = local.admin_statements
}

output "operation_statements" {
  description = "member_roles.per_operation: each readonly or admin operation's own statements (as readonly_statements), keyed by operation."
  value       = local.operation_statements
}

output "roles" {
  description = "Each deployed operation's declared role (readonly, admin or organization), keyed by operation."
  value       = local.roles
}

output "unknown_operations" {
  description = "Deployed operation names the manifest does not have (the root refuses to plan with any)."
  value       = local.unknown
}

output "operation_actions" {
  description = "Each deployed operation's declared IAM actions, keyed by operation."
  value       = { for name, op in local.deployed : name => op.actions }
}

output "per_operation_role_names" {
  description = "member_roles.per_operation: the member role of each readonly or admin operation, keyed by operation."
  value       = local.per_operation_role_names
}

output "per_operation_template" {
  description = "member_roles.per_operation: the StackSet's CloudFormation template (JSON), one role and one policy per operation."
  value       = local.per_operation_template
}
