output "worker_role_arns" {
  description = "ARNs of the worker Lambda roles: keyed readonly/admin (operation-readonly-lambda, operation-admin-lambda), or by operation with per_operation_roles."
  value       = { for k, r in aws_iam_role.worker : k => r.arn }
}

output "fanout_role_arn" {
  description = "ARN of the fanout Lambda's role (trusted by the org-reader)."
  value       = aws_iam_role.fanout.arn
}

output "report_role_arn" {
  description = "ARN of the report Lambda's role."
  value       = aws_iam_role.report.arn
}

output "state_machine_role_arns" {
  description = "ARNs of the state machine roles, keyed by operation."
  value       = { for k, r in aws_iam_role.state_machine : k => r.arn }
}

output "org_reader_role_arn" {
  description = "ARN of the org-reader role these policies allow assuming (created by modules/member-roles)."
  value       = local.org_reader_role_arn
}

output "names" {
  description = "The function and state machine names the policies are scoped to; the other modules use exactly these."
  value = {
    fanout_function    = local.fanout_function
    report_function    = local.report_function
    inventory_function = local.inventory_function
    worker_functions   = local.worker_function
    state_machines     = local.state_machine
  }
}

output "inventory_role_arn" {
  description = "ARN of the inventory Lambda's role (trusted by the org-reader)."
  value       = aws_iam_role.inventory.arn
}
