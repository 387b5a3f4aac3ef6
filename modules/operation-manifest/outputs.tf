output "readonly_actions" {
  description = "IAM actions of operation-readonly: the union of the deployed read operations' declared actions, sorted."
  value       = local.readonly_actions
}

output "admin_actions" {
  description = "IAM actions of operation-admin: the union of the deployed admin operations' declared actions, sorted."
  value       = local.admin_actions
}

output "roles" {
  description = "Each deployed operation's declared role (readonly, admin or organization), keyed by operation."
  value       = local.roles
}

output "unknown_operations" {
  description = "Deployed operation names the manifest does not have (the root refuses to plan with any)."
  value       = local.unknown
}
