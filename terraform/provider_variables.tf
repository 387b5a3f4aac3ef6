# The root's own inputs: the providers' (providers.tf). Every other input is the composition's
# (variables.tf, a symlink to ../modules/orgops/variables.tf), passed through by main.tf.

variable "region" {
  type        = string
  description = "Region of the operations account's resources (state machines, Lambdas, bucket, table, topic)."
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$", var.region))
    error_message = "region must be a region name such as us-east-1."
  }
}

variable "operations_account_role_arn" {
  type        = string
  description = "Role Terraform assumes in the operations account; null: the environment's credentials are already there."
  default     = null

  validation {
    condition     = var.operations_account_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.operations_account_role_arn))
    error_message = "operations_account_role_arn must be an IAM role ARN or null."
  }
}

variable "management_account_role_arn" {
  type        = string
  description = "Role Terraform assumes in the management account (e.g. OrganizationAccountAccessRole's counterpart there); null: the environment's credentials."
  default     = null

  validation {
    condition     = var.management_account_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.management_account_role_arn))
    error_message = "management_account_role_arn must be an IAM role ARN or null."
  }
}

variable "stack_sets_account_role_arn" {
  type        = string
  description = "With member_roles.call_as = \"DELEGATED_ADMIN\": a role in the StackSets delegated administrator account for the \"stack_sets\" provider, which creates the StackSet there (the org-reader and the management account's roles stay in the management account)."
  default     = null

  validation {
    condition     = var.stack_sets_account_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.stack_sets_account_role_arn))
    error_message = "stack_sets_account_role_arn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource (provider default_tags)."
  default     = { Project = "orgops" }
}
