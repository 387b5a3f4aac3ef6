output "dashboard_name" {
  description = "Name of the deployment's CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "dashboard_arn" {
  description = "ARN of the deployment's CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_arn
}

output "alarm_arns" {
  description = "ARNs of the alarms, by key: <operation>-failed-executions and <operation>-failed-targets."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.arn }
}

output "failed_targets_query" {
  description = "The CloudWatch Logs Insights query (with its SOURCE log groups) that lists every failed target, latest first."
  value       = local.failed_targets_query
}
