# The dashboard's widgets and the alarms' metric queries, from the variables only (no resource,
# no data source): tests/observability evaluates this file with `terraform console`, offline.
#
# Metric names and the Operation dimension are orgops.observability's (REPORT_METRICS,
# TARGET_DURATION, DIMENSION); AWS/States and AWS/Lambda metrics are AWS's.

locals {
  operation_names = sort(keys(var.operations))
  # Metric-math ids must start with a lowercase letter and hold only letters, digits and "_":
  # operation names have hyphens, so each operation gets its index.
  operation_index = { for i, name in local.operation_names : name => i }

  function_names = merge(
    var.shared_function_names,
    { for name, op in var.operations : "worker ${name}" => op.worker_function_name },
  )
  worker_log_groups = [for name in local.operation_names : "/aws/lambda/${var.operations[name].worker_function_name}"]

  # One Logs Insights query finds every failed target's line: the README's "Operating orgops" gives it.
  failed_targets_query = join(" | ", concat(
    [for group in local.worker_log_groups : "SOURCE '${group}'"],
    [
      "fields @timestamp, operation, execution_name, account_id, region, error_code, error_message, duration_ms, function_request_id",
      "filter target_status = \"FAILED\"",
      "sort @timestamp desc",
      "limit 100",
    ],
  ))

  executions_failed_metrics = concat([
    for name in local.operation_names : [
      ["AWS/States", "ExecutionsFailed", "StateMachineArn", var.operations[name].state_machine_arn, { id = "f${local.operation_index[name]}", stat = "Sum", visible = false }],
      ["AWS/States", "ExecutionsTimedOut", "StateMachineArn", var.operations[name].state_machine_arn, { id = "t${local.operation_index[name]}", stat = "Sum", visible = false }],
      ["AWS/States", "ExecutionsAborted", "StateMachineArn", var.operations[name].state_machine_arn, { id = "a${local.operation_index[name]}", stat = "Sum", visible = false }],
      [{
        id         = "e${local.operation_index[name]}"
        expression = "FILL(f${local.operation_index[name]}, 0) + FILL(t${local.operation_index[name]}, 0) + FILL(a${local.operation_index[name]}, 0)"
        label      = name
      }],
    ]
  ]...)

  failed_ratio_metrics = concat([
    for name in local.operation_names : [
      [var.metrics_namespace, "Failed", "Operation", name, { id = "fl${local.operation_index[name]}", stat = "Sum", visible = false }],
      [var.metrics_namespace, "Targets", "Operation", name, { id = "tg${local.operation_index[name]}", stat = "Sum", visible = false }],
      [{
        id         = "r${local.operation_index[name]}"
        expression = "IF(tg${local.operation_index[name]} > 0, 100 * FILL(fl${local.operation_index[name]}, 0) / tg${local.operation_index[name]}, 0)"
        label      = name
      }],
    ]
  ]...)

  widgets = [
    {
      type   = "text"
      x      = 0
      y      = 0
      width  = 24
      height = 3
      properties = {
        markdown = join("\n", [
          "# ${var.name_prefix}: operations across the organization",
          "Failed targets: the log table at the bottom, or this Logs Insights query on the worker log groups: `filter target_status = \"FAILED\" | fields account_id, region, error_code, error_message, execution_name`.",
          "Alarms notify the deployment's SNS topic: a failed, timed-out or aborted execution (per state machine), and more than ${var.failed_target_ratio_threshold}% failed targets in ${var.failed_target_ratio_period_seconds / 60} minutes (per operation). Runbook: README, \"Operating orgops\".",
        ])
      }
    },
    {
      type   = "metric"
      x      = 0
      y      = 3
      width  = 12
      height = 6
      properties = {
        title   = "Executions succeeded"
        region  = var.region
        view    = "timeSeries"
        stacked = true
        period  = 3600
        stat    = "Sum"
        metrics = [for name in local.operation_names : ["AWS/States", "ExecutionsSucceeded", "StateMachineArn", var.operations[name].state_machine_arn, { label = name }]]
      }
    },
    {
      type   = "metric"
      x      = 12
      y      = 3
      width  = 12
      height = 6
      properties = {
        title   = "Executions failed, timed out or aborted"
        region  = var.region
        view    = "timeSeries"
        stacked = true
        period  = 3600
        stat    = "Sum"
        metrics = local.executions_failed_metrics
      }
    },
    {
      type   = "metric"
      x      = 0
      y      = 9
      width  = 12
      height = 6
      properties = {
        title   = "Targets by outcome"
        region  = var.region
        view    = "timeSeries"
        stacked = true
        period  = 3600
        stat    = "Sum"
        metrics = concat([
          for name in local.operation_names : [
            for outcome in ["Succeeded", "Failed", "Skipped"] : [var.metrics_namespace, outcome, "Operation", name, { label = "${name} ${lower(outcome)}" }]
          ]
        ]...)
      }
    },
    {
      type   = "metric"
      x      = 12
      y      = 9
      width  = 12
      height = 6
      properties = {
        title   = "Failed targets (% of targets)"
        region  = var.region
        view    = "timeSeries"
        stacked = false
        period  = var.failed_target_ratio_period_seconds
        stat    = "Sum"
        metrics = local.failed_ratio_metrics
        yAxis   = { left = { min = 0, max = 100, label = "%", showUnits = false } }
        annotations = {
          horizontal = [{ label = "alarm threshold", value = var.failed_target_ratio_threshold }]
        }
      }
    },
    {
      type   = "metric"
      x      = 0
      y      = 15
      width  = 12
      height = 6
      properties = {
        title   = "Rows reported"
        region  = var.region
        view    = "timeSeries"
        stacked = true
        period  = 3600
        stat    = "Sum"
        metrics = [for name in local.operation_names : [var.metrics_namespace, "Rows", "Operation", name, { label = name }]]
      }
    },
    {
      type   = "metric"
      x      = 12
      y      = 15
      width  = 12
      height = 6
      properties = {
        title   = "Target duration (ms): p95 and maximum"
        region  = var.region
        view    = "timeSeries"
        stacked = false
        period  = 3600
        metrics = concat([
          for name in local.operation_names : [
            [var.metrics_namespace, "TargetDuration", "Operation", name, { stat = "p95", label = "${name} p95" }],
            [var.metrics_namespace, "TargetDuration", "Operation", name, { stat = "Maximum", label = "${name} max" }],
          ]
        ]...)
      }
    },
    {
      type   = "metric"
      x      = 0
      y      = 21
      width  = 12
      height = 6
      properties = {
        title   = "Lambda errors"
        region  = var.region
        view    = "timeSeries"
        stacked = true
        period  = 300
        stat    = "Sum"
        metrics = [for label in sort(keys(local.function_names)) : ["AWS/Lambda", "Errors", "FunctionName", local.function_names[label], { label = label }]]
      }
    },
    {
      type   = "metric"
      x      = 12
      y      = 21
      width  = 12
      height = 6
      properties = {
        title   = "Lambda throttles"
        region  = var.region
        view    = "timeSeries"
        stacked = true
        period  = 300
        stat    = "Sum"
        metrics = [for label in sort(keys(local.function_names)) : ["AWS/Lambda", "Throttles", "FunctionName", local.function_names[label], { label = label }]]
      }
    },
    {
      type   = "log"
      x      = 0
      y      = 27
      width  = 24
      height = 8
      properties = {
        title  = "Failed targets, latest first"
        region = var.region
        view   = "table"
        query  = local.failed_targets_query
      }
    },
  ]

  # Alarms, by key. Each: what it watches and the metric queries CloudWatch evaluates; the
  # query that returns data is the one compared with the threshold.
  execution_alarms = {
    for name in local.operation_names : "${name}-failed-executions" => {
      description = "orgops ${name}: an execution of ${var.operations[name].state_machine_arn} failed, timed out or was aborted. Its error is in the execution's history; failed targets never fail an execution."
      threshold   = 0
      period      = var.execution_alarm_period_seconds
      queries = [
        { id = "failed", metric_name = "ExecutionsFailed", namespace = "AWS/States", dimensions = { StateMachineArn = var.operations[name].state_machine_arn }, expression = null, label = null },
        { id = "timed_out", metric_name = "ExecutionsTimedOut", namespace = "AWS/States", dimensions = { StateMachineArn = var.operations[name].state_machine_arn }, expression = null, label = null },
        { id = "aborted", metric_name = "ExecutionsAborted", namespace = "AWS/States", dimensions = { StateMachineArn = var.operations[name].state_machine_arn }, expression = null, label = null },
        { id = "unsuccessful", metric_name = null, namespace = null, dimensions = null, expression = "FILL(failed, 0) + FILL(timed_out, 0) + FILL(aborted, 0)", label = "Executions failed, timed out or aborted" },
      ]
    }
  }

  failed_target_alarms = {
    for name in local.operation_names : "${name}-failed-targets" => {
      description = "orgops ${name}: more than ${var.failed_target_ratio_threshold}% of its targets failed within ${var.failed_target_ratio_period_seconds / 60} minutes. Which ones: the errors CSV of the report, or the Logs Insights query in the README (Operating orgops)."
      threshold   = var.failed_target_ratio_threshold
      period      = var.failed_target_ratio_period_seconds
      queries = [
        { id = "failed", metric_name = "Failed", namespace = var.metrics_namespace, dimensions = { Operation = name }, expression = null, label = null },
        { id = "targets", metric_name = "Targets", namespace = var.metrics_namespace, dimensions = { Operation = name }, expression = null, label = null },
        { id = "ratio", metric_name = null, namespace = null, dimensions = null, expression = "IF(targets > 0, 100 * FILL(failed, 0) / targets, 0)", label = "Failed targets (%)" },
      ]
    }
  }

  alarms = merge(local.execution_alarms, local.failed_target_alarms)
}
