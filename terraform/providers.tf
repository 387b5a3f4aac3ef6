# The default provider is the operations account (state machines, Lambdas, bucket, table,
# topic); the "management" alias is the organization's management account (org-reader role,
# member roles there, and the member-roles StackSet with call_as = "SELF"); the "stack_sets"
# alias is the StackSets delegated administrator, used only with call_as = "DELEGATED_ADMIN"
# (it is the management account otherwise). Credentials come from the environment; each
# provider can assume a role.

provider "aws" {
  region = var.region

  dynamic "assume_role" {
    for_each = var.operations_account_role_arn == null ? [] : [var.operations_account_role_arn]

    content {
      role_arn     = assume_role.value
      session_name = "orgops-terraform"
    }
  }

  default_tags {
    tags = var.tags
  }
}

provider "aws" {
  alias  = "management"
  region = var.region

  dynamic "assume_role" {
    for_each = var.management_account_role_arn == null ? [] : [var.management_account_role_arn]

    content {
      role_arn     = assume_role.value
      session_name = "orgops-terraform"
    }
  }

  default_tags {
    tags = var.tags
  }
}

provider "aws" {
  alias  = "stack_sets"
  region = var.region

  dynamic "assume_role" {
    for_each = var.member_roles.call_as == "DELEGATED_ADMIN" ? [var.stack_sets_account_role_arn] : (var.management_account_role_arn == null ? [] : [var.management_account_role_arn])

    content {
      role_arn     = assume_role.value
      session_name = "orgops-terraform"
    }
  }

  default_tags {
    tags = var.tags
  }
}
