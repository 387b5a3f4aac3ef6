# ACME's root configuration: orgops's composition (modules/orgops) by relative source, deploying
# ACME's own operations (every one under ../src/acme_ops, from the manifest), and any built-ins builtin_operations
# lists. In ACME's own repository the source would be a Git one, e.g.
# "git::https://github.com/<org>/orgops.git//modules/orgops?ref=<tag>".
#
# Build first, from the orgops repository's root:  make package OPERATIONS=examples/own-operations/src
# (or from examples/own-operations:  python ../../build.py --operations-path src). Either writes
# dist/orgops.zip, dist/operations-layer.zip (ACME's modules, a Lambda layer) and
# dist/operations.json, where ACME's operations have "builtin": false. Then, here:
# terraform init && terraform plan (or both steps from the repository's root:
# make plan TF_DIR=examples/own-operations/terraform OPERATIONS=examples/own-operations/src).

locals {
  package_path  = coalesce(var.package_path, "${path.root}/../../../dist/orgops.zip")
  manifest_path = "${dirname(local.package_path)}/operations.json"
  # Every operation of ACME's in the manifest (a missing manifest fails here, naming its path:
  # build first), with the composition's defaults; then the built-ins asked for.
  own_operations = { for name, op in jsondecode(file(local.manifest_path)).operations : name => {} if !op.builtin }
}

module "orgops" {
  source = "../../../modules/orgops"

  providers = {
    aws            = aws
    aws.management = aws.management
    aws.stack_sets = aws.stack_sets
  }

  operations   = merge(local.own_operations, { for name in var.builtin_operations : name => {} })
  package_path = local.package_path
}
