# AWS limits that a combination of this module's variables can break, computed from the variables
# alone (no resource, no provider), so `terraform console` evaluates them offline in the tests.
# The state machine's precondition (main.tf) refuses the plan with every message of limit_errors.
# Each number is AWS's, with its source:
# - Express workflows run at most 5 minutes ("Maximum duration ... 5 minutes", Step Functions
#   developer guide, "Standard and Express workflow types").
# - A Standard execution's history holds at most 25,000 events (Step Functions service quotas,
#   "Maximum execution history size").
# - Lambda reserved concurrency caps a function's concurrent executions; an invocation beyond it is
#   throttled with TooManyRequestsException (Lambda developer guide, "Configuring reserved
#   concurrency"). The Maps' concurrency above it only buys throttles and retries.

locals {
  # The Retry the template renders for the Worker and RecordStatus tasks (templates/operation.asl.json.tftpl).
  worker_retry = {
    interval_seconds  = 2
    backoff_rate      = 2
    max_delay_seconds = 60
    max_attempts      = var.worker_retry_max_attempts
  }
  record_status = {
    timeout_seconds   = 10
    interval_seconds  = 1
    backoff_rate      = 2
    max_delay_seconds = 30
    max_attempts      = 4
  }

  express_max_seconds     = 300
  standard_history_events = 25000

  batch_max_concurrency = var.batch_max_concurrency == null ? var.batch_size : min(var.batch_max_concurrency, var.batch_size)

  # Worst case of one target: every attempt runs to its timeout, every back-off is the longest
  # (full jitter waits at most the computed delay).
  worker_attempts         = 1 + local.worker_retry.max_attempts
  worker_backoff_seconds  = sum(concat([0], [for i in range(local.worker_retry.max_attempts) : min(local.worker_retry.interval_seconds * pow(local.worker_retry.backoff_rate, i), local.worker_retry.max_delay_seconds)]))
  record_attempts         = 1 + local.record_status.max_attempts
  record_backoff_seconds  = sum(concat([0], [for i in range(local.record_status.max_attempts) : min(local.record_status.interval_seconds * pow(local.record_status.backoff_rate, i), local.record_status.max_delay_seconds)]))
  target_worst_seconds    = var.worker_timeout_seconds * local.worker_attempts + local.worker_backoff_seconds + local.record_status.timeout_seconds * local.record_attempts + local.record_backoff_seconds
  batch_rounds            = ceil(var.batch_size / local.batch_max_concurrency)
  express_batch_worst_sec = local.batch_rounds * local.target_worst_seconds

  # Worst-case history events of the inline path (Standard parent), per target: the iteration's
  # 2, the Worker's entered/exited and 3 per attempt (scheduled, started, failed), the caught
  # failure's Pass state (2), RecordStatus the same way, and StatusNotRecorded (2); plus the fixed
  # states (execution 2, Fanout and Report with their own 6 retries: 2 + 3 x 7 each, the Choice 2,
  # the Map 4).
  history_per_target   = 2 + (2 + 3 * local.worker_attempts) + 2 + (2 + 3 * local.record_attempts) + 2
  history_fixed        = 2 + 2 * (2 + 3 * 7) + 2 + 4
  history_worst_events = local.history_fixed + var.distributed_threshold * local.history_per_target

  workers_at_once_distributed = var.distributed_max_concurrency * local.batch_max_concurrency

  limit_errors = concat(
    var.child_execution_type == "EXPRESS" && local.express_batch_worst_sec > local.express_max_seconds ? [
      "An EXPRESS child runs at most ${local.express_max_seconds} s, and a batch can take ${local.express_batch_worst_sec} s: ${local.batch_rounds} round(s) of batch_size (${var.batch_size}) / batch_max_concurrency (${local.batch_max_concurrency}) x (worker_timeout_seconds ${var.worker_timeout_seconds} x ${local.worker_attempts} attempts (worker_retry_max_attempts ${var.worker_retry_max_attempts}) + ${local.worker_backoff_seconds} s back-off + RecordStatus ${local.record_status.timeout_seconds * local.record_attempts + local.record_backoff_seconds} s). Lower worker_timeout_seconds or worker_retry_max_attempts, raise batch_max_concurrency, lower batch_size, or set child_execution_type = \"STANDARD\"."
    ] : [],
    local.workers_at_once_distributed > var.worker_reserved_concurrency ? [
      "The distributed Map runs up to ${local.workers_at_once_distributed} workers at once (distributed_max_concurrency ${var.distributed_max_concurrency} x batch_max_concurrency ${local.batch_max_concurrency}), above worker_reserved_concurrency (${var.worker_reserved_concurrency}): the rest would be throttled. Lower distributed_max_concurrency or batch_max_concurrency, or raise worker_reserved_concurrency (and the account's Lambda concurrency quota)."
    ] : [],
    var.max_concurrency > var.worker_reserved_concurrency ? [
      "The inline Map runs up to max_concurrency (${var.max_concurrency}) workers at once, above worker_reserved_concurrency (${var.worker_reserved_concurrency}): the rest would be throttled. Lower max_concurrency or raise worker_reserved_concurrency."
    ] : [],
    local.history_worst_events > local.standard_history_events ? [
      "A run of distributed_threshold (${var.distributed_threshold}) inline targets can record ${local.history_worst_events} history events when every target is retried and caught (${local.history_per_target} per target with worker_retry_max_attempts ${var.worker_retry_max_attempts}), above a Standard execution's ${local.standard_history_events}. Lower distributed_threshold to at most ${floor((local.standard_history_events - local.history_fixed) / local.history_per_target)} (larger runs take the distributed Map) or lower worker_retry_max_attempts."
    ] : [],
  )
}
