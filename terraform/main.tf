# This repository's root configuration: the providers (providers.tf) and the whole deployment,
# modules/orgops. Every input of the composition is passed through under its own name
# (variables.tf is the composition's, by symlink), so terraform.tfvars is the composition's input.

module "orgops" {
  source = "../modules/orgops"

  providers = {
    aws            = aws
    aws.management = aws.management
    aws.stack_sets = aws.stack_sets
  }

  name_prefix                           = var.name_prefix
  default_regions                       = var.default_regions
  operations                            = var.operations
  lambda_concurrency_quota              = var.lambda_concurrency_quota
  child_execution_type                  = var.child_execution_type
  member_roles                          = var.member_roles
  org_reader_role_name                  = var.org_reader_role_name
  notification_emails                   = var.notification_emails
  slack_webhook_parameter               = var.slack_webhook_parameter
  slack_webhook_kms_key_arn             = var.slack_webhook_kms_key_arn
  expiration_days                       = var.expiration_days
  athena_bytes_scanned_cutoff_per_query = var.athena_bytes_scanned_cutoff_per_query
  result_ttl_days                       = var.result_ttl_days
  plan_ttl_hours                        = var.plan_ttl_hours
  log_retention_days                    = var.log_retention_days
  tracing_enabled                       = var.tracing_enabled
  package_path                          = var.package_path
  log_level                             = var.log_level
  metrics_namespace                     = var.metrics_namespace
  powertools_layer_version              = var.powertools_layer_version
  alarms                                = var.alarms
}
