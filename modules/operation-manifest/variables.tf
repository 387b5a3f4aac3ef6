variable "manifest_path" {
  type        = string
  description = "The operation manifest build.py writes (dist/operations.json, version 3): each operation's role, IAM actions and the ARN patterns of its scoped ones."

  validation {
    condition     = can(jsondecode(file(var.manifest_path)).operations)
    error_message = "manifest_path must be the operations.json that `make package` (build.py) writes next to dist/orgops.zip: run make package."
  }

  # Version 3 carries the scoped resources; an older manifest would leave every action on "*".
  validation {
    condition     = try(jsondecode(file(var.manifest_path)).version >= 3, false)
    error_message = "manifest_path is an operations.json of an older orgops (before version 3, without scoped resources): run make package."
  }
}

variable "operations" {
  type        = set(string)
  description = "The deployed operations (the keys of the root's operations map)."
}

variable "worker_role_arns" {
  type        = map(string)
  description = "member_roles.per_operation only: each deployed operation's worker Lambda role ARN (its per-operation member role trusts only that one). Empty: no per-operation template."
  default     = {}

  validation {
    condition     = alltrue([for arn in values(var.worker_role_arns) : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", arn))])
    error_message = "worker_role_arns must map operation names to IAM role ARNs."
  }
}

variable "role_name_prefix" {
  type        = string
  description = "member_roles.per_operation only: the per-operation member roles are named <prefix><operation>."
  default     = "orgops-op-"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,22}$", var.role_name_prefix))
    error_message = "role_name_prefix must be 1 to 22 IAM name characters (a role name holds 64, operation names up to 41)."
  }
}
