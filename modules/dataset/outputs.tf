output "database_name" {
  description = "Name of the Glue database (Athena's database) holding the tables."
  value       = aws_glue_catalog_database.this.name
}

output "table_names" {
  description = "The tables: rows_<operation> for each deployed operation whose columns make a table (keyed by operation), and statuses and summaries."
  value = {
    rows      = { for name, t in local.selected : t.operation => name if t.kind == "rows" }
    statuses  = contains(keys(local.tables), "statuses") ? "statuses" : null
    summaries = contains(keys(local.tables), "summaries") ? "summaries" : null
  }
}

output "operations_without_table" {
  description = "Deployed operations whose columns cannot be a Glue table (lowercase letters, digits, underscores; not execution_id, run_time, operation or run_date), with the reason: their rows stay in report.csv only."
  value       = local.without_table
}

output "workgroup_name" {
  description = "Name of the Athena workgroup (encrypted results under athena-results/, bytes scanned limit per query)."
  value       = aws_athena_workgroup.this.name
}

output "workgroup_arn" {
  description = "ARN of the Athena workgroup."
  value       = aws_athena_workgroup.this.arn
}

output "results_location" {
  description = "Where the workgroup writes query results (SSE-KMS with the platform key)."
  value       = "s3://${var.data_bucket_name}/${local.results_prefix}"
}

output "analyst_policy_json" {
  description = "A least-privilege IAM policy (JSON) to run queries in the workgroup: attach it to the analysts' role or group (aws_iam_policy + aws_iam_role_policy_attachment)."
  value       = data.aws_iam_policy_document.analyst.json
}
