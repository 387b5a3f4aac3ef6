# The member roles' permissions, derived from what the deployed operations declare (their
# `actions`, proved by their tests): no provider, only the manifest. operation-readonly gets the
# union of the read operations' actions, operation-admin that of the mutating (admin) operations,
# their reads included. Operations of role "organization" run as the org-reader, not here.

locals {
  manifest = jsondecode(file(var.manifest_path))
  deployed = { for name, op in local.manifest.operations : name => op if contains(var.operations, name) }
  unknown  = sort(setsubtract(var.operations, keys(local.manifest.operations)))

  readonly_actions = sort(distinct(flatten([for op in values(local.deployed) : op.actions if op.role == "readonly"])))
  admin_actions    = sort(distinct(flatten([for op in values(local.deployed) : op.actions if op.role == "admin"])))
  roles            = { for name, op in local.deployed : name => op.role }
}
