output "state_machine_arn" {
  description = "ARN of the operation's state machine."
  value       = aws_sfn_state_machine.this.arn
}

output "worker_function_arn" {
  description = "ARN of the operation's worker function."
  value       = aws_lambda_function.worker.arn
}

output "schedule_arn" {
  description = "ARN of the schedule, or null when the operation has none."
  value       = one(aws_scheduler_schedule.this[*].arn)
}
