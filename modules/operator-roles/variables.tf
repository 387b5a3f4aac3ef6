variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name (functions, roles, state machines)."
  default     = "orgops"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "operations" {
  type        = set(string)
  description = "Names of the deployed operations: each gets its state machine role."

  validation {
    condition     = alltrue([for op in var.operations : can(regex("^[a-z][a-z0-9-]{1,40}$", op))])
    error_message = "Operation names are lowercase letters, digits and hyphens (as in `orgops list`)."
  }
}

variable "management_account_id" {
  type        = string
  description = "Id of the organization's management account, where the org-reader role lives."

  validation {
    condition     = can(regex("^[0-9]{12}$", var.management_account_id))
    error_message = "management_account_id must be a 12-digit AWS account id."
  }
}

variable "organization_id" {
  type        = string
  description = "Id of the organization (o-xxxxxxxxxx): the worker roles may assume member roles only in its accounts (aws:ResourceOrgID)."

  validation {
    condition     = can(regex("^o-[a-z0-9]{10,32}$", var.organization_id))
    error_message = "organization_id must look like o-abcdefghij."
  }
}

variable "readonly_role_name" {
  type        = string
  description = "Name of the read-only member role that operation-readonly-lambda assumes."
  default     = "operation-readonly"
}

variable "admin_role_name" {
  type        = string
  description = "Name of the admin member role that operation-admin-lambda assumes."
  default     = "operation-admin"
}

variable "readonly_lambda_role_name" {
  type        = string
  description = "Name of the read-only worker Lambda role (the seed's operation-readonly-lambda)."
  default     = "operation-readonly-lambda"
}

variable "admin_lambda_role_name" {
  type        = string
  description = "Name of the admin worker Lambda role (the seed's operation-admin-lambda)."
  default     = "operation-admin-lambda"
}

variable "org_reader_role_name" {
  type        = string
  description = "Name of the org-reader role in the management account, assumed by the fanout and by operations with role \"organization\"."
  default     = "orgops-org-reader"
}

variable "data_bucket_arn" {
  type        = string
  description = "ARN of the data bucket (prefixes results/, targets/, reports/, map-results/)."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]{3,63}$", var.data_bucket_arn))
    error_message = "data_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::name)."
  }
}

variable "status_table_arn" {
  type        = string
  description = "ARN of the status table."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/", var.status_table_arn))
    error_message = "status_table_arn must be a DynamoDB table ARN."
  }
}

variable "topic_arn" {
  type        = string
  description = "ARN of the SNS topic the report publishes to."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:", var.topic_arn))
    error_message = "topic_arn must be an SNS topic ARN."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the platform's KMS key (bucket, table, topic, logs)."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:region:account:key/id)."
  }
}

variable "slack_webhook_parameter" {
  type        = string
  description = "Name of the SSM SecureString parameter, or ARN of the Secrets Manager secret, holding the Slack webhook URL; null: no Slack. The report role may read only this one."
  default     = null

  validation {
    condition     = var.slack_webhook_parameter == null || can(regex("^(/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*|arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+)$", var.slack_webhook_parameter))
    error_message = "slack_webhook_parameter must be an SSM parameter name (like /orgops/slack-webhook) or a Secrets Manager secret ARN."
  }
}

variable "slack_webhook_kms_key_arn" {
  type        = string
  description = "ARN of the customer managed KMS key that encrypts the Slack webhook parameter; null when it uses the AWS managed key."
  default     = null

  validation {
    condition     = var.slack_webhook_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.slack_webhook_kms_key_arn))
    error_message = "slack_webhook_kms_key_arn must be a KMS key ARN or null."
  }
}

variable "tracing_enabled" {
  type        = bool
  description = "Whether the Lambdas and state machines send X-Ray traces (adds the X-Ray write actions)."
  default     = true
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource of the module."
  default     = {}
}

variable "per_operation_roles" {
  type = map(object({
    member_role  = string
    organization = bool
  }))
  description = "member_roles.per_operation: one worker role per operation (keyed by operation), each allowed to assume only its own member role (member_role) or, for an organization operation, the org-reader. Empty: the shared operation-readonly-lambda / operation-admin-lambda."
  default     = {}

  validation {
    condition     = alltrue([for r in values(var.per_operation_roles) : can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", r.member_role))])
    error_message = "per_operation_roles: each member_role must be an IAM role name (1 to 64 characters)."
  }
}

# --- Organization inventory ------------------------------------------------------------------

variable "inventory_table_arn" {
  type        = string
  description = "ARN of the organization inventory table (modules/platform): the inventory Lambda writes it, the fanout and the organization operations' workers read it."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/", var.inventory_table_arn))
    error_message = "inventory_table_arn must be a DynamoDB table ARN."
  }
}
