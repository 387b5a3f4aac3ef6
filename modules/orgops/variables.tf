variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name (functions, state machines, bucket, table, topic)."
  default     = "orgops"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "default_regions" {
  type        = list(string)
  description = "Regions an operation runs in when neither its entry in operations nor the execution input names any."
  default     = ["us-east-1"]

  validation {
    condition     = length(var.default_regions) > 0 && alltrue([for r in var.default_regions : can(regex("^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$", r))])
    error_message = "default_regions must list at least one region name such as eu-west-1."
  }
}

variable "operations" {
  type = map(object({
    role                         = optional(string)
    regions                      = optional(list(string), [])
    params                       = optional(string, "{}")
    schedule                     = optional(object({ expression = string, timezone = optional(string, "UTC"), dry_run = optional(bool, true) }))
    max_concurrency              = optional(number, 40)
    distributed_threshold        = optional(number, 500)
    batch_size                   = optional(number, 10)
    batch_max_concurrency        = optional(number)
    distributed_max_concurrency  = optional(number, 5)
    tolerated_failure_percentage = optional(number, 5)
    max_errors                   = optional(string)
    worker_timeout_seconds       = optional(number, 60)
    worker_retry_max_attempts    = optional(number, 2)
    worker_reserved_concurrency  = optional(number, 50)
    worker_memory_size           = optional(number, 256)
  }))
  description = <<-EOT
    The deployed operations, by name (as in `orgops list`, the user's own included). Each: role (optional:
    the role the operation declares, read from the manifest; if given it must be that one), regions (default regions; empty: default_regions), params (JSON object
    of the operation's Params, used by the schedule's fixed input), an optional schedule (expression,
    timezone, dry_run), and the Map's concurrency settings.
  EOT

  validation {
    condition     = length(var.operations) > 0 && alltrue([for name in keys(var.operations) : can(regex("^[a-z][a-z0-9-]{1,40}$", name))])
    error_message = "operations must have at least one entry, named like an operation (lowercase letters, digits, hyphens, e.g. unused-ebs-volumes)."
  }

  validation {
    condition     = alltrue([for op in values(var.operations) : op.role == null ? true : contains(["readonly", "admin", "organization"], op.role)])
    error_message = "Each operation's role must be readonly, admin or organization (the role `orgops list` shows)."
  }

  validation {
    condition     = alltrue([for op in values(var.operations) : alltrue([for r in op.regions : can(regex("^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$", r))])])
    error_message = "Each operation's regions must be region names such as eu-west-1."
  }

  validation {
    condition     = alltrue([for op in values(var.operations) : can(keys(jsondecode(op.params)))])
    error_message = "Each operation's params must be a JSON object, e.g. jsonencode({ StandardArns = [...] })."
  }

  validation {
    condition     = alltrue([for op in values(var.operations) : op.schedule == null || can(regex("^(cron|rate)\\(.+\\)$", op.schedule.expression))])
    error_message = "A schedule's expression must be cron(...) or rate(...), e.g. cron(0 6 ? * MON *)."
  }
}

variable "lambda_concurrency_quota" {
  type        = number
  description = "The operations account's Lambda \"Concurrent executions\" quota in this region (Service Quotas L-B99A9384; 1,000 by default). Every operation's worker_reserved_concurrency comes out of it, and Lambda keeps 100 unreserved: the plan is refused when the reservations do not fit."
  default     = 1000

  validation {
    condition     = var.lambda_concurrency_quota >= 100 && floor(var.lambda_concurrency_quota) == var.lambda_concurrency_quota
    error_message = "lambda_concurrency_quota must be a whole number of at least 100: the account's Lambda concurrent executions quota (Service Quotas, code L-B99A9384)."
  }
}

variable "child_execution_type" {
  type        = string
  description = "ExecutionType of the distributed Map's child workflows: EXPRESS (cheaper, batches under 5 minutes) or STANDARD."
  default     = "EXPRESS"

  validation {
    condition     = contains(["STANDARD", "EXPRESS"], var.child_execution_type)
    error_message = "child_execution_type must be STANDARD or EXPRESS."
  }
}

variable "member_roles" {
  type = object({
    deploy                       = optional(bool, true)
    call_as                      = optional(string, "SELF")
    organizational_unit_ids      = optional(list(string), [])
    policy_mode                  = optional(string, "derived")
    per_operation                = optional(bool, false)
    readonly_policy_arns         = optional(list(string), ["arn:aws:iam::aws:policy/ReadOnlyAccess"])
    admin_policy_arns            = optional(list(string), ["arn:aws:iam::aws:policy/AdministratorAccess"])
    failure_tolerance_percentage = optional(number, 10)
    max_concurrent_percentage    = optional(number, 25)
    management_account_roles     = optional(list(string), ["readonly"])
  })
  description = "The member roles: whether to deploy them, who creates the StackSet (SELF: the management account; DELEGATED_ADMIN: the aws.stack_sets provider's account, the StackSets delegated administrator), target OUs (empty: the root), policy_mode (derived: exactly the deployed operations' declared actions; managed: the *_policy_arns, on purpose), which roles also exist in the management account, rollout preferences."
  default     = {}

  validation {
    condition     = contains(["derived", "managed"], var.member_roles.policy_mode)
    error_message = "member_roles.policy_mode must be derived (the operations' declared actions) or managed (AWS managed policies, on purpose)."
  }

  validation {
    condition     = contains(["SELF", "DELEGATED_ADMIN"], var.member_roles.call_as)
    error_message = "member_roles.call_as must be SELF or DELEGATED_ADMIN."
  }
}

variable "org_reader_role_name" {
  type        = string
  description = "Name of the role in the management account that lists the organization."
  default     = "orgops-org-reader"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.org_reader_role_name))
    error_message = "org_reader_role_name must be a valid IAM role name."
  }
}

variable "notification_emails" {
  type        = list(string)
  description = "E-mail addresses subscribed to the notification topic (reports and failed executions)."
  default     = []

  validation {
    condition     = alltrue([for e in var.notification_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "notification_emails must hold e-mail addresses such as ops@example.com."
  }
}

variable "slack_webhook_parameter" {
  type        = string
  description = "Name of an SSM SecureString parameter (or ARN of a Secrets Manager secret) holding the Slack webhook URL; never the URL itself. null: no Slack."
  default     = null

  validation {
    condition     = var.slack_webhook_parameter == null || !can(regex("^https?://", var.slack_webhook_parameter))
    error_message = "slack_webhook_parameter is the NAME of the SSM parameter (e.g. /orgops/slack-webhook) holding the URL, not the URL: store the URL with `aws ssm put-parameter --type SecureString`."
  }
}

variable "slack_webhook_kms_key_arn" {
  type        = string
  description = "Customer managed KMS key of the Slack webhook parameter, if any (the report may decrypt with it through SSM only)."
  default     = null
}

variable "expiration_days" {
  type = object({
    results     = optional(number, 30)
    targets     = optional(number, 7)
    reports     = optional(number, 365)
    map_results = optional(number, 30)
    noncurrent  = optional(number, 7)
    # The runs' data set is their history (the Athena tables project as many days).
    dataset        = optional(number, 730)
    athena_results = optional(number, 30)
  })
  description = "Days after which data bucket objects expire, per prefix (results/, targets/, reports/, map-results/, dataset/, athena-results/), and noncurrent versions."
  default     = {}
}

variable "athena_bytes_scanned_cutoff_per_query" {
  type        = number
  description = "Bytes one Athena query of the orgops workgroup may scan before Athena cancels it (at least 10485760, Athena's minimum). Default 10 GiB."
  default     = 10737418240

  validation {
    condition     = var.athena_bytes_scanned_cutoff_per_query >= 10485760 && floor(var.athena_bytes_scanned_cutoff_per_query) == var.athena_bytes_scanned_cutoff_per_query
    error_message = "athena_bytes_scanned_cutoff_per_query must be a whole number of bytes, at least 10485760 (10 MB, Athena's minimum per-query limit)."
  }
}

variable "result_ttl_days" {
  type        = number
  description = "Days after which status items expire (DynamoDB TTL)."
  default     = 30
}

variable "plan_ttl_hours" {
  type        = number
  description = "Hours a dry run's plan (orgops plan) can be applied after the dry run started; 1 to 720."
  default     = 24
}

variable "log_retention_days" {
  type        = number
  description = "Retention of every log group (Lambdas and state machines)."
  default     = 365
}

variable "tracing_enabled" {
  type        = bool
  description = "X-Ray tracing of the Lambdas and state machines."
  default     = true
}

variable "package_path" {
  type        = string
  description = "The Lambda package build.py writes (`make package`, which `make plan` runs), with operations.json and operations-layer.zip beside it; null: `$${path.root}/../dist/orgops.zip`, dist/ beside the calling root's folder (for terraform/, this repository's dist/). Give it from any other root."
  default     = null
}

variable "log_level" {
  type        = string
  description = "Log level of every function (POWERTOOLS_LOG_LEVEL): INFO logs one line per target; WARNING only failures; DEBUG adds a line when each invocation starts."
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.log_level)
    error_message = "The log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL."
  }
}

variable "metrics_namespace" {
  type        = string
  description = "CloudWatch namespace of orgops' metrics (POWERTOOLS_METRICS_NAMESPACE): Targets, Succeeded, Failed, Skipped, Rows, TargetDuration, by Operation."
  default     = "orgops"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace)) && !can(regex("^AWS/", var.metrics_namespace))
    error_message = "The metrics_namespace must be 1-255 letters, digits or . _ / # : - and must not start with AWS/."
  }
}

variable "powertools_layer_version" {
  type        = number
  description = "Version of the AWS-managed layer AWSLambdaPowertoolsPythonV3-python313-arm64 (account 017000801446) the functions use. Pick the one that ships the aws-lambda-powertools version pinned in pyproject.toml (see the Powertools docs' Lambda layer page)."
  default     = 37

  validation {
    condition     = var.powertools_layer_version >= 1 && floor(var.powertools_layer_version) == var.powertools_layer_version
    error_message = "The powertools_layer_version must be a whole number of at least 1, e.g. 37."
  }
}

variable "alarms" {
  type = object({
    enabled                       = optional(bool, true)
    failed_target_ratio_threshold = optional(number, 5)
  })
  description = "CloudWatch alarms (modules/observability), notifying the topic: enabled (false: visible on the dashboard, silent), and the percentage of an operation's targets that may fail within an hour before it alarms."
  default     = {}

  validation {
    condition     = var.alarms.failed_target_ratio_threshold >= 0 && var.alarms.failed_target_ratio_threshold < 100
    error_message = "The alarms.failed_target_ratio_threshold must be a percentage from 0 to below 100."
  }
}
