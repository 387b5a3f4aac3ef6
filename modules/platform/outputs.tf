output "data_bucket_name" {
  description = "Name of the data bucket (results/, targets/, reports/, map-results/)."
  value       = aws_s3_bucket.this.bucket
}

output "data_bucket_arn" {
  description = "ARN of the data bucket."
  value       = aws_s3_bucket.this.arn
}

output "status_table_name" {
  description = "Name of the status table (hash execution_id, range target, TTL expires_at)."
  value       = aws_dynamodb_table.status.name
}

output "status_table_arn" {
  description = "ARN of the status table."
  value       = aws_dynamodb_table.status.arn
}

output "topic_arn" {
  description = "ARN of the notification topic."
  value       = aws_sns_topic.this.arn
}

output "kms_key_arn" {
  description = "ARN of the platform's KMS key."
  value       = aws_kms_key.this.arn
}

output "fanout_function_arn" {
  description = "ARN of the fanout function."
  value       = aws_lambda_function.this["fanout"].arn
}

output "report_function_arn" {
  description = "ARN of the report function."
  value       = aws_lambda_function.this["report"].arn
}

output "log_retention_days" {
  description = "Retention of the log groups (the operations use the same)."
  value       = var.log_retention_days
}

output "inventory_table_name" {
  description = "Name of the organization inventory table (hash account_id): one item per account, tags, OU path, enabled regions."
  value       = aws_dynamodb_table.inventory.name
}

output "inventory_table_arn" {
  description = "ARN of the organization inventory table."
  value       = aws_dynamodb_table.inventory.arn
}

output "inventory_function_arn" {
  description = "ARN of the organization inventory function (invoke it with {\"Refresh\": \"stalest\"} to refresh by hand)."
  value       = aws_lambda_function.inventory.arn
}

output "organization_event_bus_arn" {
  description = "ARN of the event bus the management account forwards Organizations and Account Management events to."
  value       = aws_cloudwatch_event_bus.organization.arn
}
