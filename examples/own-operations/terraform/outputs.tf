output "state_machine_arns" {
  description = "ARN of each operation's state machine, keyed by operation (orgops run NAME --state-machine-arn ...)."
  value       = module.orgops.state_machine_arns
}

output "data_bucket" {
  description = "The data bucket: the CSV reports are under reports/."
  value       = module.orgops.data_bucket
}
