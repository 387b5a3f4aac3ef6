# One CloudWatch dashboard per deployment, and the alarms an on-call engineer is paged by:
# per state machine, any failed, timed-out or aborted execution; per operation, a failed-target
# ratio above the threshold (from orgops' EMF metrics, with metric math). Both notify the
# deployment's SNS topic, on alarm and when back to OK. Widgets and queries: locals.tf.

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  evaluation_periods  = 1
  datapoints_to_alarm = 1
  # No execution, no report: no data is not a failure.
  treat_missing_data = "notBreaching"
  actions_enabled    = var.alarm_actions_enabled
  alarm_actions      = [var.alarm_topic_arn]
  ok_actions         = [var.alarm_topic_arn]
  tags               = var.tags

  dynamic "metric_query" {
    for_each = each.value.queries

    content {
      id          = metric_query.value.id
      expression  = metric_query.value.expression
      label       = metric_query.value.label
      return_data = metric_query.value.expression != null

      dynamic "metric" {
        for_each = metric_query.value.expression == null ? [metric_query.value] : []

        content {
          namespace   = metric.value.namespace
          metric_name = metric.value.metric_name
          dimensions  = metric.value.dimensions
          period      = each.value.period
          stat        = "Sum"
        }
      }
    }
  }
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name_prefix
  dashboard_body = jsonencode({
    widgets = concat(local.widgets, [
      {
        type   = "alarm"
        x      = 0
        y      = 35
        width  = 24
        height = 4
        properties = {
          title  = "Alarms"
          alarms = [for key in sort(keys(local.alarms)) : aws_cloudwatch_metric_alarm.this[key].arn]
        }
      },
    ])
  })
}
