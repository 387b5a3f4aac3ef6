# Every output of modules/orgops, re-exported with its description.

output "state_machine_arns" {
  description = "ARN of each operation's state machine, keyed by operation."
  value       = module.orgops.state_machine_arns
}

output "data_bucket" {
  description = "The data bucket: results/, targets/, reports/ (the CSV reports), map-results/."
  value       = module.orgops.data_bucket
}

output "status_table" {
  description = "The status table (one item per target and execution)."
  value       = module.orgops.status_table
}

output "topic_arn" {
  description = "The notification topic (report summaries, failed executions)."
  value       = module.orgops.topic_arn
}

output "org_reader_role_arn" {
  description = "The org-reader role in the management account."
  value       = module.orgops.org_reader_role_arn
}

output "member_roles_stack_set" {
  description = "Name of the StackSet deploying operation-readonly and operation-admin (null when not deployed here)."
  value       = module.orgops.member_roles_stack_set

  # The root's check, with the root's input: the composition does not know which role the
  # stack_sets provider assumes. A precondition, not a variable validation: Terraform < 1.9
  # cannot compare two variables there.
  precondition {
    condition     = var.member_roles.call_as == "SELF" || var.stack_sets_account_role_arn != null
    error_message = "member_roles.call_as = \"DELEGATED_ADMIN\" needs stack_sets_account_role_arn: a role in the StackSets delegated administrator account, which creates the StackSet."
  }
}

output "dashboard_name" {
  description = "The CloudWatch dashboard of the deployment (executions, targets, rows, durations, errors, failed targets, alarms)."
  value       = module.orgops.dashboard_name
}

output "failed_targets_query" {
  description = "CloudWatch Logs Insights query listing every failed target, latest first (paste it in Logs Insights)."
  value       = module.orgops.failed_targets_query
}

output "member_role_actions" {
  description = "The IAM actions each member role allows in policy_mode derived: the deployed operations' declared actions, keyed readonly/admin."
  value       = module.orgops.member_role_actions
}

output "dataset_database_name" {
  description = "The Glue database of the runs' data set (tables rows_<operation>, statuses, summaries)."
  value       = module.orgops.dataset_database_name
}

output "athena_workgroup_name" {
  description = "The Athena workgroup for the data set (results encrypted under the data bucket, a bytes-scanned limit per query)."
  value       = module.orgops.athena_workgroup_name
}

output "dataset_analyst_policy_json" {
  description = "A least-privilege IAM policy (JSON) for people who query the data set: attach it to their role."
  value       = module.orgops.dataset_analyst_policy_json
}
