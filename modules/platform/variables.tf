variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name."
  default     = "orgops"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "fanout_function_name" {
  type        = string
  description = "Name of the fanout function (from modules/operator-roles' names output, which scopes its role)."
}

variable "report_function_name" {
  type        = string
  description = "Name of the report function (from modules/operator-roles' names output, which scopes its role)."
}

variable "fanout_role_arn" {
  type        = string
  description = "ARN of the fanout's execution role (modules/operator-roles)."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.fanout_role_arn))
    error_message = "fanout_role_arn must be an IAM role ARN."
  }
}

variable "report_role_arn" {
  type        = string
  description = "ARN of the report's execution role (modules/operator-roles)."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.report_role_arn))
    error_message = "report_role_arn must be an IAM role ARN."
  }
}

variable "org_reader_role_arn" {
  type        = string
  description = "ARN of the org-reader role in the management account (the fanout's ORGOPS_ORG_ROLE_ARN)."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.org_reader_role_arn))
    error_message = "org_reader_role_arn must be an IAM role ARN."
  }
}

variable "package_path" {
  type        = string
  description = "Path of the Lambda package built by `make package` (dist/orgops.zip)."
}

variable "data_bucket_name" {
  type        = string
  description = "Name of the data bucket; null: <name_prefix>-data-<account id>-<region>."
  default     = null

  validation {
    condition     = var.data_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.data_bucket_name))
    error_message = "data_bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)."
  }
}

variable "expiration_days" {
  type = object({
    results     = optional(number, 30)
    targets     = optional(number, 7)
    reports     = optional(number, 365)
    map_results = optional(number, 30)
    noncurrent  = optional(number, 7)
    # The runs' data set is their history (modules/dataset's history_days should be at least this).
    dataset        = optional(number, 730)
    athena_results = optional(number, 30)
    # Applying runs' change logs: the audit trail.
    audit = optional(number, 3650)
  })
  description = "Days after which objects expire, per prefix (results/, targets/, reports/, map-results/, dataset/, athena-results/, audit/), and noncurrent versions."
  default     = {}

  validation {
    condition     = alltrue([for d in values(var.expiration_days) : d >= 1 && d <= 3650 && floor(d) == d])
    error_message = "expiration_days values must be whole numbers of days between 1 and 3650."
  }
}

variable "result_ttl_days" {
  type        = number
  description = "Days after which status items expire (DynamoDB TTL on expires_at); the fanout's ORGOPS_RESULT_TTL_DAYS."
  default     = 30

  validation {
    condition     = var.result_ttl_days >= 1 && var.result_ttl_days <= 3650 && floor(var.result_ttl_days) == var.result_ttl_days
    error_message = "result_ttl_days must be a whole number of days between 1 and 3650."
  }
}

variable "plan_ttl_hours" {
  type        = number
  description = "Hours a dry run's plan can be applied after the dry run started (the report's ORGOPS_PLAN_TTL_HOURS); at most 720, and within expiration_days.results (the plan points at the dry run's stored rows)."
  default     = 24

  validation {
    condition     = var.plan_ttl_hours >= 1 && var.plan_ttl_hours <= 720 && floor(var.plan_ttl_hours) == var.plan_ttl_hours
    error_message = "plan_ttl_hours must be a whole number of hours between 1 and 720 (30 days)."
  }
}

variable "notification_emails" {
  type        = list(string)
  description = "E-mail addresses subscribed to the topic (each must confirm the subscription)."
  default     = []

  validation {
    condition     = alltrue([for e in var.notification_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "notification_emails must hold e-mail addresses such as ops@example.com."
  }
}

variable "slack_webhook_parameter" {
  type        = string
  description = "Name of the SSM SecureString parameter, or ARN of the Secrets Manager secret, holding the Slack webhook URL (the URL itself never goes here); null: no Slack."
  default     = null
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the Lambda and state machine log groups."
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "tracing_enabled" {
  type        = bool
  description = "Whether the fanout and report Lambdas send X-Ray traces."
  default     = true
}

variable "fanout_timeout_seconds" {
  type        = number
  description = "Timeout of the fanout function (the ASL gives its task 300 s)."
  default     = 290

  validation {
    condition     = var.fanout_timeout_seconds >= 30 && var.fanout_timeout_seconds <= 300
    error_message = "fanout_timeout_seconds must be between 30 and 300 (the state machine's fanout task times out at 300 s)."
  }
}

variable "report_timeout_seconds" {
  type        = number
  description = "Timeout of the report function (the ASL gives its task 900 s)."
  default     = 890

  validation {
    condition     = var.report_timeout_seconds >= 30 && var.report_timeout_seconds <= 900
    error_message = "report_timeout_seconds must be between 30 and 900 (Lambda's maximum)."
  }
}

variable "memory_size" {
  type        = number
  description = "Memory (MB) of the fanout and report functions."
  default     = 512

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "powertools" {
  type = object({
    layer_arn         = string
    service_name      = optional(string, "orgops")
    metrics_namespace = optional(string, "orgops")
    log_level         = optional(string, "INFO")
  })
  description = "Powertools for AWS Lambda (Python), for orgops.observability: the AWS-managed layer version ARN (arm64, python3.13, in this region), and the functions' POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_LOG_LEVEL."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", var.powertools.layer_arn))
    error_message = "The powertools.layer_arn must be a Lambda layer version ARN, e.g. arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:<version>."
  }

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.powertools.log_level)
    error_message = "The powertools.log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL."
  }
}

variable "operations_layer" {
  type = object({
    arn     = optional(string)
    modules = optional(string, "")
  })
  description = "The user's own operations: the ARN of the Lambda layer version holding their modules (build.py --operations-path makes it), and their import paths, comma-separated (ORGOPS_OPERATION_MODULES). Default: built-in operations only."
  default     = {}

  validation {
    condition     = var.operations_layer.arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", var.operations_layer.arn))
    error_message = "operations_layer.arn must be a Lambda layer version ARN (arn:aws:lambda:<region>:<account>:layer:<name>:<version>) or null."
  }

  validation {
    condition     = alltrue([for m in compact(split(",", var.operations_layer.modules)) : can(regex("^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$", m))])
    error_message = "operations_layer.modules must be comma-separated Python import paths such as acme_ops.stopped_instances."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource of the module."
  default     = {}
}

# --- Organization inventory ------------------------------------------------------------------

variable "inventory_function_name" {
  type        = string
  description = "Name of the organization inventory function (from modules/operator-roles' names output, which scopes its role)."
}

variable "inventory_role_arn" {
  type        = string
  description = "ARN of the inventory function's execution role (modules/operator-roles)."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.inventory_role_arn))
    error_message = "inventory_role_arn must be an IAM role ARN."
  }
}

variable "organization_events_sender_arn" {
  type        = string
  description = "ARN of the role in the management account whose EventBridge rule forwards Organizations and Account Management events to this account's organization events bus (modules/orgops/main.tf)."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.organization_events_sender_arn))
    error_message = "organization_events_sender_arn must be an IAM role ARN."
  }
}

variable "inventory_schedule" {
  type        = string
  description = "How often the inventory function walks the organization and refreshes the stalest accounts (an EventBridge schedule expression). At 10,000 accounts one run every 10 minutes re-reads every account in about 3 hours (make bench)."
  default     = "rate(10 minutes)"

  validation {
    condition     = can(regex("^(rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)|cron\\(.+\\))$", var.inventory_schedule))
    error_message = "inventory_schedule must be an EventBridge schedule expression such as rate(10 minutes) or cron(0/10 * * * ? *)."
  }
}

variable "inventory_timeout_seconds" {
  type        = number
  description = "Timeout of the inventory function; a scheduled run uses all but its last 60 s, paced to AWS's request rates."
  default     = 300

  validation {
    condition     = var.inventory_timeout_seconds >= 120 && var.inventory_timeout_seconds <= 900
    error_message = "inventory_timeout_seconds must be between 120 and 900 (Lambda's maximum)."
  }
}
