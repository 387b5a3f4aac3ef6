variable "region" {
  type        = string
  description = "Region of the operations account's resources."
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
  description = "Role Terraform assumes in the management account; null: the environment's credentials."
  default     = null

  validation {
    condition     = var.management_account_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.management_account_role_arn))
    error_message = "management_account_role_arn must be an IAM role ARN or null."
  }
}

variable "builtin_operations" {
  type        = list(string)
  description = "orgops's own operations to deploy beside ACME's (names as `orgops list` shows them, e.g. public-ips)."
  default     = []
}

variable "package_path" {
  type        = string
  description = "The package build.py wrote, operations.json beside it; null: the orgops repository's dist/orgops.zip."
  default     = null
}
