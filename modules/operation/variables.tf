variable "operation" {
  type        = string
  description = "Name of the operation (as in `orgops list`): the worker's ORGOPS_OPERATION."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.operation))
    error_message = "operation must be an operation name such as unused-ebs-volumes (lowercase letters, digits, hyphens)."
  }
}

variable "state_machine_name" {
  type        = string
  description = "Name of the state machine (from modules/operator-roles' names output, which scopes its role)."

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,80}$", var.state_machine_name))
    error_message = "state_machine_name must be 1-80 letters, digits, hyphens or underscores."
  }
}

variable "worker_function_name" {
  type        = string
  description = "Name of the worker function (from modules/operator-roles' names output, which scopes its role)."

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.worker_function_name))
    error_message = "worker_function_name must be 1-64 letters, digits, hyphens or underscores."
  }
}

variable "worker_role_arn" {
  type        = string
  description = "ARN of the worker's role: operation-readonly-lambda or operation-admin-lambda, chosen by the operation's role."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.worker_role_arn))
    error_message = "worker_role_arn must be an IAM role ARN."
  }
}

variable "member_role_name" {
  type        = string
  description = "Role the worker assumes in each target account (operation-readonly, operation-admin, or the org-reader for role \"organization\"): its ORGOPS_MEMBER_ROLE_NAME."

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.member_role_name))
    error_message = "member_role_name must be an IAM role name."
  }
}

variable "state_machine_role_arn" {
  type        = string
  description = "ARN of the state machine's role (modules/operator-roles)."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.state_machine_role_arn))
    error_message = "state_machine_role_arn must be an IAM role ARN."
  }
}

variable "fanout_function_arn" {
  type        = string
  description = "ARN of the shared fanout function (modules/platform)."
}

variable "report_function_arn" {
  type        = string
  description = "ARN of the shared report function (modules/platform)."
}

variable "status_table" {
  type        = string
  description = "Name of the status table (modules/platform)."
}

variable "data_bucket" {
  type        = string
  description = "Name of the data bucket (modules/platform)."
}

variable "topic_arn" {
  type        = string
  description = "ARN of the topic notified when an execution fails, times out or aborts."
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the platform's KMS key (log group encryption)."
}

variable "package_path" {
  type        = string
  description = "Path of the Lambda package (dist/orgops.zip)."
}

variable "regions" {
  type        = list(string)
  description = "Default regions of the operation when the execution input has no Regions (the ASL's DefaultRegions)."

  validation {
    condition     = length(var.regions) > 0 && alltrue([for r in var.regions : can(regex("^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$", r))])
    error_message = "regions must list at least one region name such as eu-west-1."
  }
}

variable "distributed_threshold" {
  type        = number
  description = "Above this many targets the run uses the distributed Map (targets in S3 batches) instead of the inline Map. Its worst-case history (every target retried and caught) must fit a Standard execution's 25,000 events: see limits.tf."
  default     = 500

  validation {
    condition     = var.distributed_threshold >= 1 && var.distributed_threshold <= 2000 && floor(var.distributed_threshold) == var.distributed_threshold
    error_message = "distributed_threshold must be a whole number between 1 and 2000: the inline Map records 12 history events per target when all goes well, more with retries, and a Standard execution stops at 25,000 events (limits.tf checks the worst case)."
  }
}

variable "batch_size" {
  type        = number
  description = "Targets per child execution of the distributed Map."
  default     = 10

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 100 && floor(var.batch_size) == var.batch_size
    error_message = "batch_size must be a whole number between 1 and 100."
  }
}

variable "max_errors" {
  type        = string
  description = "The operation's default error budget (the execution input's MaxErrors overrides it): once more targets than this have failed, no new target starts, the rest are recorded NOT_RUN and the report says the run stopped. A whole number of failed targets (0: stop after the first failure), or a percentage of the planned targets such as \"10%\" (rounded down). null: no budget, every target runs."
  default     = null

  validation {
    condition     = var.max_errors == null || can(regex("^([0-9]+|([1-9]|[1-9][0-9]|100)%)$", var.max_errors))
    error_message = "max_errors must be null, a whole number of failed targets from 0 (such as 3), or a percentage of the planned targets from \"1%\" to \"100%\" (such as \"10%\")."
  }
}

variable "max_concurrency" {
  type        = number
  description = "MaxConcurrency of the inline Map: workers running at once. AWS runs at most 40 inline iterations at once (\"In this mode, the Map state supports up to 40 concurrent iterations\", Step Functions developer guide): more would be ignored."
  default     = 40

  validation {
    condition     = var.max_concurrency >= 1 && var.max_concurrency <= 40 && floor(var.max_concurrency) == var.max_concurrency
    error_message = "max_concurrency must be a whole number between 1 and 40: an inline Map runs at most 40 iterations at once on AWS; for more, lower distributed_threshold so that large runs take the distributed Map (distributed_max_concurrency)."
  }
}

variable "distributed_max_concurrency" {
  type        = number
  description = "MaxConcurrency of the distributed Map: child executions running at once. Times batch_max_concurrency, at most worker_reserved_concurrency (limits.tf)."
  default     = 5

  validation {
    condition     = var.distributed_max_concurrency >= 1 && var.distributed_max_concurrency <= 10000 && floor(var.distributed_max_concurrency) == var.distributed_max_concurrency
    error_message = "distributed_max_concurrency must be a whole number between 1 and 10000."
  }
}

variable "batch_max_concurrency" {
  type        = number
  description = "MaxConcurrency of each child's inline Map over its batch: workers running at once per child. null: batch_size (the whole batch at once)."
  default     = null

  validation {
    condition     = var.batch_max_concurrency == null || (try(var.batch_max_concurrency >= 1 && var.batch_max_concurrency <= 40 && floor(var.batch_max_concurrency) == var.batch_max_concurrency, false))
    error_message = "batch_max_concurrency must be null (batch_size) or a whole number between 1 and 40 (a child's Map is inline: AWS runs at most 40 iterations at once)."
  }
}

variable "worker_reserved_concurrency" {
  type        = number
  description = "Reserved concurrency of the worker function (Lambda's reserved_concurrent_executions): it is guaranteed this many concurrent executions and never takes more. The Maps' concurrency must fit in it (limits.tf); every operation's reservation comes out of the account's concurrency quota, of which Lambda keeps 100 unreserved (the root configuration checks the sum)."
  default     = 50

  validation {
    condition     = var.worker_reserved_concurrency >= 1 && var.worker_reserved_concurrency <= 10000 && floor(var.worker_reserved_concurrency) == var.worker_reserved_concurrency
    error_message = "worker_reserved_concurrency must be a whole number between 1 and 10000 (at most the account's Lambda concurrency quota less the 100 Lambda keeps unreserved)."
  }
}

variable "worker_retry_max_attempts" {
  type        = number
  description = "MaxAttempts of the Worker task's Retry on Lambda's service errors and throttling (Lambda.TooManyRequestsException): retries after the first attempt, 2 s doubling, at most 60 s, full jitter. On EXPRESS children every attempt counts against the 5 minutes (limits.tf)."
  default     = 2

  validation {
    condition     = var.worker_retry_max_attempts >= 0 && var.worker_retry_max_attempts <= 10 && floor(var.worker_retry_max_attempts) == var.worker_retry_max_attempts
    error_message = "worker_retry_max_attempts must be a whole number between 0 and 10."
  }
}

variable "tolerated_failure_percentage" {
  type        = number
  description = "ToleratedFailurePercentage of the distributed Map (failed child batches before the run fails): a whole number, as AWS's ASL language service requires."
  default     = 5

  validation {
    condition     = var.tolerated_failure_percentage >= 0 && var.tolerated_failure_percentage <= 100 && floor(var.tolerated_failure_percentage) == var.tolerated_failure_percentage
    error_message = "tolerated_failure_percentage must be a whole number between 0 and 100 (AWS's ASL language service refuses a decimal such as 2.5)."
  }
}

variable "child_execution_type" {
  type        = string
  description = "ExecutionType of the distributed Map's child workflows: EXPRESS on AWS (cheaper, 5 minutes max per batch), STANDARD for long batches."
  default     = "EXPRESS"

  validation {
    condition     = contains(["STANDARD", "EXPRESS"], var.child_execution_type)
    error_message = "child_execution_type must be STANDARD or EXPRESS."
  }
}

variable "worker_timeout_seconds" {
  type        = number
  description = "Timeout of the worker function and of the Worker task. On EXPRESS children, every attempt of every round of a batch must fit the 5 minutes (limits.tf); for longer workers use STANDARD children."
  default     = 60

  validation {
    condition     = var.worker_timeout_seconds >= 10 && var.worker_timeout_seconds <= 900 && floor(var.worker_timeout_seconds) == var.worker_timeout_seconds
    error_message = "worker_timeout_seconds must be a whole number between 10 and 900 (Lambda's maximum)."
  }
}

variable "worker_memory_size" {
  type        = number
  description = "Memory (MB) of the worker function."
  default     = 256

  validation {
    condition     = var.worker_memory_size >= 128 && var.worker_memory_size <= 10240
    error_message = "worker_memory_size must be between 128 and 10240 MB."
  }
}

variable "schedule" {
  type = object({
    expression = string
    timezone   = optional(string, "UTC")
    input      = optional(string, "{}")
  })
  description = "Optional EventBridge Scheduler schedule: an expression (cron(...) or rate(...)), its time zone, and the fixed execution input as JSON. null: no schedule."
  default     = null

  validation {
    condition     = var.schedule == null || can(regex("^(cron|rate|at)\\(.+\\)$", var.schedule.expression))
    error_message = "schedule.expression must be cron(...), rate(...) or at(...), e.g. cron(0 6 ? * MON *)."
  }

  validation {
    condition     = var.schedule == null || can(keys(jsondecode(var.schedule.input)))
    error_message = "schedule.input must be a JSON object (the execution input, e.g. {\"DryRun\": true})."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the worker's and the state machine's log groups."
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' retention values (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "log_level" {
  type        = string
  description = "Step Functions log level: ALL, ERROR or FATAL (OFF is not allowed: failures must be visible)."
  default     = "ALL"

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL"], var.log_level)
    error_message = "log_level must be ALL, ERROR or FATAL."
  }
}

variable "tracing_enabled" {
  type        = bool
  description = "Whether the worker and the state machine send X-Ray traces."
  default     = true
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

variable "inventory_table" {
  type        = string
  description = "Name of the organization inventory table (modules/platform): organization operations read accounts' tags and OU paths from it instead of one Organizations call per account. Empty: they list the organization live."
  default     = ""
}

variable "operation_role" {
  type        = string
  description = "The role the operation declares (readonly, admin or organization; from the operation manifest): the worker refuses to run an operation that declares another."

  validation {
    condition     = contains(["readonly", "admin", "organization"], var.operation_role)
    error_message = "operation_role must be readonly, admin or organization (the role the operation declares; orgops describe shows it)."
  }
}

variable "operations_layer" {
  type = object({
    arn     = optional(string)
    modules = optional(string, "")
  })
  description = "The user's own operations: the Lambda layer version holding their modules, and their import paths, comma-separated (ORGOPS_OPERATION_MODULES). Default: built-in operations only."
  default     = {}

  validation {
    condition     = var.operations_layer.arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", var.operations_layer.arn))
    error_message = "operations_layer.arn must be a Lambda layer version ARN (arn:aws:lambda:<region>:<account>:layer:<name>:<version>) or null."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource of the module."
  default     = {}
}
