output "state_machine_arns" {
  description = "ARN of each operation's state machine, keyed by operation."
  value       = { for name, op in module.operation : name => op.state_machine_arn }
}

output "data_bucket" {
  description = "The data bucket: results/, targets/, reports/ (the CSV reports), map-results/."
  value       = module.platform.data_bucket_name
}

output "status_table" {
  description = "The status table (one item per target and execution)."
  value       = module.platform.status_table_name
}

output "topic_arn" {
  description = "The notification topic (report summaries, failed executions)."
  value       = module.platform.topic_arn
}

output "org_reader_role_arn" {
  description = "The org-reader role in the management account."
  value       = module.operator_roles.org_reader_role_arn
}

output "member_roles_stack_set" {
  description = "Name of the StackSet deploying operation-readonly and operation-admin (null when not deployed here)."
  value       = try(coalesce(one(module.member_roles[*].stack_set_name), one(module.member_roles_stack_set[*].stack_set_name)), null)
}

output "dashboard_name" {
  description = "The CloudWatch dashboard of the deployment (executions, targets, rows, durations, errors, failed targets, alarms)."
  value       = module.observability.dashboard_name
}

output "failed_targets_query" {
  description = "CloudWatch Logs Insights query listing every failed target, latest first (paste it in Logs Insights)."
  value       = module.observability.failed_targets_query
}

output "member_role_actions" {
  description = "The IAM actions each member role allows in policy_mode derived: the deployed operations' declared actions, keyed readonly/admin."
  value = {
    readonly = module.manifest.readonly_actions
    admin    = module.manifest.admin_actions
  }

  # The role comes from the operation's declaration; an operations entry may repeat it, not change it.
  precondition {
    condition     = length(local.role_overrides) == 0
    error_message = "operations entries give a role their operation does not declare: ${join("; ", local.role_overrides)}. Leave role out (Terraform reads the declared role from the operations.json beside package_path), or change the operation's declaration and run make package."
  }

  precondition {
    condition     = length(module.manifest.unknown_operations) == 0
    error_message = "operations names operations the manifest (operations.json beside package_path) does not have: run make package, and check the names with orgops list."
  }

  # CloudFormation refuses a template without resources: per-operation roles need a readonly or admin operation.
  precondition {
    condition     = !var.member_roles.per_operation || length(module.manifest.per_operation_role_names) > 0
    error_message = "member_roles.per_operation needs at least one readonly or admin operation in operations (organization operations run as the org-reader and get no member role)."
  }
}

output "dataset_database_name" {
  description = "The Glue database of the runs' data set (tables rows_<operation>, statuses, summaries)."
  value       = module.dataset.database_name
}

output "athena_workgroup_name" {
  description = "The Athena workgroup for the data set (results encrypted under the data bucket, a bytes-scanned limit per query)."
  value       = module.dataset.workgroup_name
}

output "dataset_analyst_policy_json" {
  description = "A least-privilege IAM policy (JSON) for people who query the data set: attach it to their role."
  value       = module.dataset.analyst_policy_json
}
