# Lambda's account-level concurrency: every operation's worker reserves worker_reserved_concurrency
# out of the account's "Concurrent executions" quota, and Lambda keeps 100 of it unreserved for
# the functions without a reservation (Lambda developer guide, "Configuring reserved
# concurrency": "Lambda requires at least 100 unreserved concurrency"). Evaluated from the
# variables alone, so `terraform console` checks it offline in the tests.

locals {
  lambda_unreserved_minimum = 100
  worker_reservations       = { for name, op in var.operations : name => op.worker_reserved_concurrency }
  reserved_total            = sum(concat([0], values(local.worker_reservations)))
  reservable                = var.lambda_concurrency_quota - local.lambda_unreserved_minimum

  limit_errors = local.reserved_total > local.reservable ? [
    "The operations reserve ${local.reserved_total} concurrent executions (worker_reserved_concurrency: ${join(", ", [for name, n in local.worker_reservations : "${name} ${n}"])}), more than the ${local.reservable} Lambda lets this account reserve (lambda_concurrency_quota ${var.lambda_concurrency_quota} less the ${local.lambda_unreserved_minimum} it keeps unreserved). Lower some operations' worker_reserved_concurrency (and their Maps' concurrency), or raise the quota in Service Quotas (L-B99A9384) and lambda_concurrency_quota."
  ] : []
}

# Refuses the plan with every message of limit_errors (terraform_data: Terraform's built-in provider).
resource "terraform_data" "limits" {
  input = local.reserved_total

  lifecycle {
    precondition {
      condition     = length(local.limit_errors) == 0
      error_message = join("\n", local.limit_errors)
    }
  }
}
