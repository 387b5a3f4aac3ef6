variable "readonly_lambda_role_arn" {
  type        = string
  description = "ARN of operation-readonly-lambda in the operations account: the only principal the read-only role trusts."

  default = null

  validation {
    condition     = var.readonly_lambda_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.readonly_lambda_role_arn))
    error_message = "readonly_lambda_role_arn must be an IAM role ARN such as arn:aws:iam::111111111111:role/operation-readonly-lambda."
  }
}

variable "admin_lambda_role_arn" {
  type        = string
  description = "ARN of operation-admin-lambda in the operations account: the only principal the admin role trusts."

  default = null

  validation {
    condition     = var.admin_lambda_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.admin_lambda_role_arn))
    error_message = "admin_lambda_role_arn must be an IAM role ARN such as arn:aws:iam::111111111111:role/operation-admin-lambda."
  }
}

variable "org_reader_trusted_role_arns" {
  type        = list(string)
  description = "Roles that may assume the org-reader role: the fanout's role and operation-readonly-lambda (for operations with role \"organization\")."

  validation {
    condition     = length(var.org_reader_trusted_role_arns) > 0 && alltrue([for a in var.org_reader_trusted_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", a))])
    error_message = "org_reader_trusted_role_arns must list at least one IAM role ARN (the fanout's role)."
  }
}

variable "readonly_role_name" {
  type        = string
  description = "Name of the read-only member role (the seed's operation-readonly)."
  default     = "operation-readonly"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.readonly_role_name))
    error_message = "readonly_role_name must be a valid IAM role name (1-64 of letters, digits and +=,.@_-)."
  }
}

variable "admin_role_name" {
  type        = string
  description = "Name of the admin member role (the seed's operation-admin)."
  default     = "operation-admin"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.admin_role_name))
    error_message = "admin_role_name must be a valid IAM role name (1-64 of letters, digits and +=,.@_-)."
  }
}

variable "org_reader_role_name" {
  type        = string
  description = "Name of the role in the management account that lists the organization (Organizations read actions and account:ListRegions only)."
  default     = "orgops-org-reader"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.org_reader_role_name))
    error_message = "org_reader_role_name must be a valid IAM role name (1-64 of letters, digits and +=,.@_-)."
  }
}

variable "policy_mode" {
  type        = string
  description = "derived (default): each member role gets a customer-managed policy of exactly the deployed operations' declared actions on their scoped resources (readonly_statements, admin_statements). managed: AWS's managed policies of readonly_policy_arns / admin_policy_arns instead (ReadOnlyAccess reads every S3 object and secret value it can list; AdministratorAccess administers every member account): only on purpose."
  default     = "derived"

  validation {
    condition     = contains(["derived", "managed"], var.policy_mode)
    error_message = "policy_mode must be derived (the operations' own actions) or managed (AWS managed policies, on purpose)."
  }
}

variable "readonly_actions" {
  type        = list(string)
  description = "IAM actions of operation-readonly in derived mode, all on \"*\", when readonly_statements is not given (the earlier input: give readonly_statements, which scopes the actions that support it)."
  default     = []

  validation {
    condition     = alltrue([for a in var.readonly_actions : can(regex("^[a-z0-9-]+:[A-Za-z0-9]+$", a))])
    error_message = "readonly_actions must be IAM actions such as ec2:DescribeVolumes (no wildcards)."
  }

  # IAM: a managed policy holds at most 6,144 characters (whitespace not counted).
  validation {
    condition     = length(jsonencode({ Version = "2012-10-17", Statement = [{ Sid = "DeployedReadOperations", Effect = "Allow", Action = var.readonly_actions, Resource = "*" }] })) <= 6144
    error_message = "The read operations' actions make operation-readonly's policy longer than IAM's 6,144 characters per managed policy: deploy fewer operations, or set policy_mode = \"managed\"."
  }
}

variable "admin_actions" {
  type        = list(string)
  description = "IAM actions of operation-admin in derived mode, all on \"*\", when admin_statements is not given (the earlier input: give admin_statements)."
  default     = []

  validation {
    condition     = alltrue([for a in var.admin_actions : can(regex("^[a-z0-9-]+:[A-Za-z0-9]+$", a))])
    error_message = "admin_actions must be IAM actions such as ec2:RevokeSecurityGroupIngress (no wildcards)."
  }

  validation {
    condition     = length(jsonencode({ Version = "2012-10-17", Statement = [{ Sid = "DeployedAdminOperations", Effect = "Allow", Action = var.admin_actions, Resource = "*" }] })) <= 6144
    error_message = "The admin operations' actions make operation-admin's policy longer than IAM's 6,144 characters per managed policy: deploy fewer operations, or set policy_mode = \"managed\"."
  }
}

variable "readonly_statements" {
  type = list(object({
    actions   = list(string)
    resources = list(string)
    condition = map(map(list(string)))
  }))
  description = "The statements of operation-readonly in derived mode (modules/operation-manifest output readonly_statements): each with its actions, its resources (\"*\", or ARN patterns with $${Partition} and $${Account}, which this module fills in: Fn::Sub in the StackSet, this account in the management account) and its condition ({} for none). Null: readonly_actions, all on \"*\"."
  default     = null

  validation {
    condition = var.readonly_statements == null ? true : alltrue([
      for s in var.readonly_statements : length(s.actions) > 0 && length(s.resources) > 0 &&
      alltrue([for a in s.actions : can(regex("^[a-z0-9-]+:[A-Za-z0-9]+$", a))]) &&
      (s.resources == tolist(["*"]) || alltrue([for r in s.resources : can(regex("^arn:", r))]))
    ])
    error_message = "readonly_statements: each statement needs IAM actions such as ec2:DescribeVolumes (no wildcards) and resources that are [\"*\"] or ARN patterns."
  }

  # IAM: a managed policy holds at most 6,144 characters (whitespace not counted), counted as
  # deployed: the longest partition (aws-us-gov) and a 12-digit account in place of the placeholders.
  validation {
    condition = var.readonly_statements == null ? true : length(replace(replace(jsonencode({
      Version = "2012-10-17"
      Statement = [for i, s in var.readonly_statements : {
        for k, v in { Sid = "DeployedReadOperationsScoped${i}", Effect = "Allow", Action = s.actions, Resource = s.resources, Condition = s.condition } :
        k => v if k != "Condition" || length(s.condition) > 0
      }]
    }), "$${Partition}", "aws-us-gov"), "$${Account}", "123456789012")) <= 6144
    error_message = "The read operations' statements make operation-readonly's policy longer than IAM's 6,144 characters per managed policy: deploy fewer operations, or set policy_mode = \"managed\"."
  }
}

variable "admin_statements" {
  type = list(object({
    actions   = list(string)
    resources = list(string)
    condition = map(map(list(string)))
  }))
  description = "The statements of operation-admin in derived mode (modules/operation-manifest output admin_statements), as readonly_statements. Null: admin_actions, all on \"*\"."
  default     = null

  validation {
    condition = var.admin_statements == null ? true : alltrue([
      for s in var.admin_statements : length(s.actions) > 0 && length(s.resources) > 0 &&
      alltrue([for a in s.actions : can(regex("^[a-z0-9-]+:[A-Za-z0-9]+$", a))]) &&
      (s.resources == tolist(["*"]) || alltrue([for r in s.resources : can(regex("^arn:", r))]))
    ])
    error_message = "admin_statements: each statement needs IAM actions such as ec2:RevokeSecurityGroupIngress (no wildcards) and resources that are [\"*\"] or ARN patterns."
  }

  validation {
    condition = var.admin_statements == null ? true : length(replace(replace(jsonencode({
      Version = "2012-10-17"
      Statement = [for i, s in var.admin_statements : {
        for k, v in { Sid = "DeployedAdminOperationsScoped${i}", Effect = "Allow", Action = s.actions, Resource = s.resources, Condition = s.condition } :
        k => v if k != "Condition" || length(s.condition) > 0
      }]
    }), "$${Partition}", "aws-us-gov"), "$${Account}", "123456789012")) <= 6144
    error_message = "The admin operations' statements make operation-admin's policy longer than IAM's 6,144 characters per managed policy: deploy fewer operations, or set policy_mode = \"managed\"."
  }
}

variable "readonly_policy_arns" {
  type        = list(string)
  description = "policy_mode = \"managed\" only: managed policies of the read-only role (IAM allows at most 10 per role)."
  default     = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]

  validation {
    condition     = length(var.readonly_policy_arns) > 0 && length(var.readonly_policy_arns) <= 10 && alltrue([for a in var.readonly_policy_arns : can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/", a))])
    error_message = "readonly_policy_arns must list 1 to 10 managed policy ARNs (IAM's limit per role) such as arn:aws:iam::aws:policy/ReadOnlyAccess."
  }
}

variable "admin_policy_arns" {
  type        = list(string)
  description = "policy_mode = \"managed\" only: managed policies of the admin role (IAM allows at most 10 per role)."
  default     = ["arn:aws:iam::aws:policy/AdministratorAccess"]

  validation {
    condition     = length(var.admin_policy_arns) > 0 && length(var.admin_policy_arns) <= 10 && alltrue([for a in var.admin_policy_arns : can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/", a))])
    error_message = "admin_policy_arns must list 1 to 10 managed policy ARNs (IAM's limit per role) such as arn:aws:iam::aws:policy/AdministratorAccess."
  }
}

variable "stack_set_name" {
  type        = string
  description = "Name of the CloudFormation StackSet that deploys the member roles."
  default     = "orgops-member-roles"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9-]{0,127}$", var.stack_set_name))
    error_message = "stack_set_name must start with a letter and contain only letters, digits and hyphens (at most 128)."
  }
}

variable "call_as" {
  type        = string
  description = "SELF when Terraform runs in the management account, DELEGATED_ADMIN when it runs in a delegated administrator account for StackSets."
  default     = "SELF"

  validation {
    condition     = contains(["SELF", "DELEGATED_ADMIN"], var.call_as)
    error_message = "call_as must be SELF or DELEGATED_ADMIN."
  }
}

variable "organization" {
  type = object({
    id                    = string
    management_account_id = string
    root_id               = string
  })
  description = "The organization (id o-..., management account id, root id r-...). Null: read with this module's provider, which then must be the management account's; give it when the provider is a StackSets delegated administrator."
  default     = null

  validation {
    condition = var.organization == null || (
      can(regex("^o-[a-z0-9]{10,32}$", var.organization.id)) &&
      can(regex("^[0-9]{12}$", var.organization.management_account_id)) &&
      can(regex("^r-[0-9a-z]{4,32}$", var.organization.root_id))
    )
    error_message = "organization must have id (o-xxxxxxxxxx), management_account_id (12 digits) and root_id (r-xxxx)."
  }
}

variable "organizational_unit_ids" {
  type        = list(string)
  description = "OUs (or the root, r-xxxx) whose accounts get the member roles. Empty: the organization's root, so every account."
  default     = []

  validation {
    condition     = alltrue([for id in var.organizational_unit_ids : can(regex("^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$", id))])
    error_message = "organizational_unit_ids must hold OU ids (ou-xxxx-xxxxxxxx) or the root id (r-xxxx)."
  }
}

variable "stack_set_region" {
  type        = string
  description = "The one region the StackSet's instances are created in (IAM roles are global: one region is enough)."
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$", var.stack_set_region))
    error_message = "stack_set_region must be a region name such as us-east-1."
  }
}

variable "operation_preferences" {
  type = object({
    failure_tolerance_percentage = optional(number, 10)
    max_concurrent_percentage    = optional(number, 25)
    region_concurrency_type      = optional(string, "PARALLEL")
  })
  description = "How fast the StackSet rolls out: failure tolerance and maximum concurrency as percentages of accounts."
  default     = {}

  validation {
    condition = (
      var.operation_preferences.failure_tolerance_percentage >= 0 && var.operation_preferences.failure_tolerance_percentage <= 100 &&
      var.operation_preferences.max_concurrent_percentage >= 1 && var.operation_preferences.max_concurrent_percentage <= 100 &&
      contains(["PARALLEL", "SEQUENTIAL"], var.operation_preferences.region_concurrency_type)
    )
    error_message = "operation_preferences: failure_tolerance_percentage 0-100, max_concurrent_percentage 1-100, region_concurrency_type PARALLEL or SEQUENTIAL."
  }
}

variable "management_account_roles" {
  type        = list(string)
  description = "Which member roles also exist in the management account (a service-managed StackSet never deploys there): readonly by default. Add admin only on purpose: an admin worker in the management account (and anyone who can change its code in the operations account) administers the organization."
  default     = ["readonly"]

  validation {
    condition     = alltrue([for r in var.management_account_roles : contains(["readonly", "admin"], r)])
    error_message = "management_account_roles may list readonly and admin only (admin on purpose: it administers the organization)."
  }
}

variable "create_stack_set" {
  type        = bool
  description = "Create the StackSet and its instances (false: only the management account's roles and the org-reader, e.g. a second instance of this module when the StackSet runs from a delegated administrator)."
  default     = true
}

variable "create_org_reader" {
  type        = bool
  description = "Create the org-reader role (it must live in the management account: false when this module's provider is a StackSets delegated administrator)."
  default     = true
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource of the module."
  default     = {}
}

variable "per_operation" {
  type        = bool
  description = "One member role per operation in every account (trusted only by that operation's worker role, allowing only its actions) instead of the shared operation-readonly / operation-admin: a compromised worker of one operation cannot do what another may."
  default     = false
}

variable "per_operation_template" {
  type        = string
  description = "per_operation: the StackSet's template (modules/operation-manifest's per_operation_template)."
  default     = null

  validation {
    condition     = var.per_operation_template == null || can(jsondecode(var.per_operation_template).Resources)
    error_message = "per_operation_template must be a CloudFormation template in JSON (modules/operation-manifest output per_operation_template)."
  }
}

variable "per_operation_roles" {
  type = map(object({
    name        = string
    kind        = string
    trusted_arn = string
    actions     = list(string)
  }))
  description = "per_operation: each operation's member role in the management account (name, readonly/admin kind, its worker role ARN, its actions); management_account_roles filters them by kind. Its policy: per_operation_statements[op], else its actions on \"*\"."
  default     = {}

  validation {
    condition     = alltrue([for r in values(var.per_operation_roles) : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", r.trusted_arn)) && contains(["readonly", "admin"], r.kind)])
    error_message = "per_operation_roles: each trusted_arn must be an IAM role ARN (the operation's worker role) and each kind readonly or admin."
  }
}

variable "per_operation_statements" {
  type = map(list(object({
    actions   = list(string)
    resources = list(string)
    condition = map(map(list(string)))
  })))
  description = "per_operation: each operation's statements (modules/operation-manifest output operation_statements), as readonly_statements, for its role in the management account; an operation missing here gets its per_operation_roles actions on \"*\"."
  default     = {}

  validation {
    condition = alltrue([
      for statements in values(var.per_operation_statements) : alltrue([
        for s in statements : length(s.actions) > 0 && length(s.resources) > 0 &&
        alltrue([for a in s.actions : can(regex("^[a-z0-9-]+:[A-Za-z0-9]+$", a))]) &&
        (s.resources == tolist(["*"]) || alltrue([for r in s.resources : can(regex("^arn:", r))]))
      ])
    ])
    error_message = "per_operation_statements: each statement needs IAM actions such as ec2:DescribeVolumes (no wildcards) and resources that are [\"*\"] or ARN patterns."
  }

  validation {
    condition = alltrue([
      for op, statements in var.per_operation_statements : length(replace(replace(jsonencode({
        Version = "2012-10-17"
        Statement = [for i, s in statements : {
          for k, v in { Sid = "OperationScoped${i}", Effect = "Allow", Action = s.actions, Resource = s.resources, Condition = s.condition } :
          k => v if k != "Condition" || length(s.condition) > 0
        }]
      }), "$${Partition}", "aws-us-gov"), "$${Account}", "123456789012")) <= 6144
    ])
    error_message = "An operation's statements make its member role's policy longer than IAM's 6,144 characters per managed policy."
  }
}
