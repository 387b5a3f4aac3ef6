# As in orgops's own root (terraform/providers.tf): the default provider is the operations
# account; "management" the organization's management account; "stack_sets" the account that
# creates the member roles' StackSet, here the management account again (member_roles.call_as
# stays "SELF"). Credentials come from the environment; each provider can assume a role.

provider "aws" {
  region = var.region

  dynamic "assume_role" {
    for_each = var.operations_account_role_arn == null ? [] : [var.operations_account_role_arn]

    content {
      role_arn     = assume_role.value
      session_name = "acme-orgops-terraform"
    }
  }

  default_tags {
    tags = { Project = "acme-orgops" }
  }
}

provider "aws" {
  alias  = "management"
  region = var.region

  dynamic "assume_role" {
    for_each = var.management_account_role_arn == null ? [] : [var.management_account_role_arn]

    content {
      role_arn     = assume_role.value
      session_name = "acme-orgops-terraform"
    }
  }

  default_tags {
    tags = { Project = "acme-orgops" }
  }
}

provider "aws" {
  alias  = "stack_sets"
  region = var.region

  dynamic "assume_role" {
    for_each = var.management_account_role_arn == null ? [] : [var.management_account_role_arn]

    content {
      role_arn     = assume_role.value
      session_name = "acme-orgops-terraform"
    }
  }

  default_tags {
    tags = { Project = "acme-orgops" }
  }
}
