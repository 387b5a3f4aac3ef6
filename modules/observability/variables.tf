variable "name_prefix" {
  type        = string
  description = "Prefix of the deployment's resource names: the dashboard is named after it, the alarms start with it."
  default     = "orgops"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "The name_prefix must be 2-21 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "Region of the state machines, functions and metrics the dashboard shows."

  validation {
    condition     = can(regex("^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$", var.region))
    error_message = "The region must be a region name such as us-east-1."
  }
}

variable "metrics_namespace" {
  type        = string
  description = "CloudWatch namespace of orgops' EMF metrics: the functions' POWERTOOLS_METRICS_NAMESPACE."
  default     = "orgops"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace)) && !can(regex("^AWS/", var.metrics_namespace))
    error_message = "The metrics_namespace must be 1-255 letters, digits or . _ / # : - and must not start with AWS/ (reserved for AWS services)."
  }
}

variable "operations" {
  type = map(object({
    state_machine_arn    = string
    worker_function_name = string
  }))
  description = "The deployed operations, by name (the metrics' Operation dimension): each one's state machine ARN and worker function name."

  validation {
    condition     = length(var.operations) > 0 && alltrue([for name in keys(var.operations) : can(regex("^[a-z][a-z0-9-]{1,40}$", name))])
    error_message = "The operations must have at least one entry, named like an operation (lowercase letters, digits, hyphens, e.g. unused-ebs-volumes)."
  }

  validation {
    condition     = alltrue([for op in values(var.operations) : can(regex("^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[A-Za-z0-9_-]{1,80}$", op.state_machine_arn))])
    error_message = "Each operation's state_machine_arn must be a Step Functions state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>)."
  }

  validation {
    condition     = alltrue([for op in values(var.operations) : can(regex("^[A-Za-z0-9_-]{1,64}$", op.worker_function_name))])
    error_message = "Each operation's worker_function_name must be a Lambda function name (1-64 letters, digits, hyphens or underscores)."
  }
}

variable "shared_function_names" {
  type        = map(string)
  description = "The functions every operation shares, by role (fanout, report): their errors and throttles are on the dashboard."

  validation {
    condition     = alltrue([for name in values(var.shared_function_names) : can(regex("^[A-Za-z0-9_-]{1,64}$", name))])
    error_message = "The shared_function_names values must be Lambda function names (1-64 letters, digits, hyphens or underscores)."
  }
}

variable "alarm_topic_arn" {
  type        = string
  description = "SNS topic the alarms notify (the deployment's notification topic, modules/platform): on alarm and back to OK."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_topic_arn))
    error_message = "The alarm_topic_arn must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)."
  }
}

variable "failed_target_ratio_threshold" {
  type        = number
  description = "Percentage of an operation's targets that may fail within failed_target_ratio_period_seconds before its alarm fires."
  default     = 5

  validation {
    condition     = var.failed_target_ratio_threshold >= 0 && var.failed_target_ratio_threshold < 100
    error_message = "The failed_target_ratio_threshold must be a percentage from 0 (any failed target alarms) to below 100."
  }
}

variable "failed_target_ratio_period_seconds" {
  type        = number
  description = "Window over which failed and total targets are summed for the failed-target ratio (one report emits an execution's totals at once)."
  default     = 3600

  validation {
    condition     = var.failed_target_ratio_period_seconds >= 300 && var.failed_target_ratio_period_seconds <= 86400 && var.failed_target_ratio_period_seconds % 60 == 0
    error_message = "The failed_target_ratio_period_seconds must be a multiple of 60 between 300 and 86400."
  }
}

variable "execution_alarm_period_seconds" {
  type        = number
  description = "Window over which failed, timed-out and aborted executions are counted; any one fires the state machine's alarm."
  default     = 300

  validation {
    condition     = var.execution_alarm_period_seconds >= 60 && var.execution_alarm_period_seconds <= 86400 && var.execution_alarm_period_seconds % 60 == 0
    error_message = "The execution_alarm_period_seconds must be a multiple of 60 between 60 and 86400."
  }
}

variable "alarm_actions_enabled" {
  type        = bool
  description = "Whether the alarms notify alarm_topic_arn; false keeps them visible on the dashboard but silent (e.g. while onboarding accounts)."
  default     = true
}

variable "tags" {
  type        = map(string)
  description = "Tags for the alarms (CloudWatch dashboards take no tags)."
  default     = {}
}
