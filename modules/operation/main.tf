# One operation: its worker Lambda, its state machine (the ASL template rendered by
# templatefile), logs, optional X-Ray, an optional schedule, and, when an execution fails, times
# out or aborts, a notification and a partial report (the targets that finished).

data "aws_caller_identity" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
}

# --- Worker -----------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "worker" {
  name              = "/aws/lambda/${var.worker_function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "worker" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously by Step Functions, which retries and catches every failure: a DLQ would never receive anything.
  #checkov:skip=CKV_AWS_117:Calls only AWS APIs (STS and the operation's services) in other accounts; a VPC would add NAT gateways and no isolation.
  #checkov:skip=CKV_AWS_173:The environment holds only names (operation, role, bucket), no secret; Lambda encrypts it with its AWS managed key.
  #checkov:skip=CKV_AWS_272:Code signing needs a Signer profile; the package is built reproducibly by build.py and deployed with its hash.
  function_name = var.worker_function_name
  description   = "orgops worker of ${var.operation}"
  role          = var.worker_role_arn
  handler       = "orgops.handlers.worker.handler"
  runtime       = "python3.13"
  architectures = ["arm64"]
  # Powertools: the AWS-managed layer, never our zip; the user's operations: their own layer.
  layers           = compact([var.powertools.layer_arn, var.operations_layer.arn])
  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  timeout          = var.worker_timeout_seconds
  memory_size      = var.worker_memory_size
  # The Maps' concurrency fits in it (limits.tf): the worker is never throttled by other functions.
  reserved_concurrent_executions = var.worker_reserved_concurrency
  tags                           = var.tags

  environment {
    # Exactly orgops.config.WORKER_ENV.
    variables = {
      ORGOPS_OPERATION        = var.operation
      ORGOPS_OPERATION_ROLE   = var.operation_role
      ORGOPS_MEMBER_ROLE_NAME = var.member_role_name
      ORGOPS_DATA_BUCKET      = var.data_bucket
      # The run's failure counter (MaxErrors): read before each target, added to on each failure.
      ORGOPS_STATUS_TABLE = var.status_table
      # The organization inventory: organization operations (accounts) read it; their role may.
      ORGOPS_INVENTORY_TABLE = var.inventory_table
      # The user's operation modules (in the operations layer); empty for built-ins only.
      ORGOPS_OPERATION_MODULES = var.operations_layer.modules
      # orgops.observability (Powertools Logger and Metrics).
      POWERTOOLS_SERVICE_NAME      = var.powertools.service_name
      POWERTOOLS_METRICS_NAMESPACE = var.powertools.metrics_namespace
      POWERTOOLS_LOG_LEVEL         = var.powertools.log_level
    }
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.worker.name
  }

  tracing_config {
    mode = var.tracing_enabled ? "Active" : "PassThrough"
  }
}

# --- State machine ----------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "state_machine" {
  name              = "/aws/vendedlogs/states/${var.state_machine_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sfn_state_machine" "this" {
  name     = var.state_machine_name
  role_arn = var.state_machine_role_arn
  type     = "STANDARD"
  tags     = var.tags

  # The template is also rendered by orgops.asl (tests, emulator): only ${name} placeholders.
  definition = templatefile("${path.module}/templates/operation.asl.json.tftpl", {
    fanout_function_arn          = var.fanout_function_arn
    worker_function_arn          = aws_lambda_function.worker.arn
    report_function_arn          = var.report_function_arn
    status_table                 = var.status_table
    operation                    = var.operation
    default_regions              = join(",", var.regions)
    distributed_threshold        = var.distributed_threshold
    batch_size                   = var.batch_size
    max_errors                   = var.max_errors == null ? "" : var.max_errors
    max_concurrency              = var.max_concurrency
    distributed_max_concurrency  = var.distributed_max_concurrency
    tolerated_failure_percentage = format("%d", var.tolerated_failure_percentage)
    child_execution_type         = var.child_execution_type
    data_bucket                  = var.data_bucket
    state_machine_name           = var.state_machine_name
    worker_timeout_seconds       = var.worker_timeout_seconds
    worker_retry_max_attempts    = local.worker_retry.max_attempts
    batch_max_concurrency        = local.batch_max_concurrency
    record_status_timeout        = local.record_status.timeout_seconds
    record_status_max_attempts   = local.record_status.max_attempts
  })

  lifecycle {
    # AWS limits this combination of variables would break (limits.tf): refused at plan.
    precondition {
      condition     = length(local.limit_errors) == 0
      error_message = join("\n", local.limit_errors)
    }
  }

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    include_execution_data = true
    level                  = var.log_level
  }

  tracing_configuration {
    enabled = var.tracing_enabled
  }
}

# --- Notification and partial report when an execution fails, times out or aborts ------------

resource "aws_cloudwatch_event_rule" "failed" {
  name        = "${var.state_machine_name}-failed"
  description = "orgops: an execution of ${var.state_machine_name} failed, timed out or was aborted."
  tags        = var.tags

  event_pattern = jsonencode({
    source        = ["aws.states"]
    "detail-type" = ["Step Functions Execution Status Change"]
    detail = {
      status          = ["FAILED", "TIMED_OUT", "ABORTED"]
      stateMachineArn = [aws_sfn_state_machine.this.arn]
    }
  })
}

resource "aws_cloudwatch_event_target" "failed" {
  rule      = aws_cloudwatch_event_rule.failed.name
  target_id = "sns"
  arn       = var.topic_arn

  input_transformer {
    input_paths = {
      status    = "$.detail.status"
      execution = "$.detail.executionArn"
    }
    input_template = "\"orgops ${var.operation}: execution <execution> ended with status <status>.\""
  }
}

# The Report step never runs in an execution that failed, timed out or was stopped: the report
# function is invoked with the status change instead and writes the report of the targets that
# finished, marked "Partial" in summary.json. The operation is named because the report function
# is shared by every operation's state machine (orgops.handlers.report.report_request; the
# emulator hands it the same event: orgops.emulator.lambdas.status_change_event).
resource "aws_cloudwatch_event_target" "partial_report" {
  rule      = aws_cloudwatch_event_rule.failed.name
  target_id = "partial-report"
  arn       = var.report_function_arn

  input_transformer {
    input_paths = {
      execution = "$.detail.executionArn"
      machine   = "$.detail.stateMachineArn"
      status    = "$.detail.status"
    }
    input_template = <<-EOT
      {"Operation": "${var.operation}", "source": "aws.states", "detail-type": "Step Functions Execution Status Change", "detail": {"executionArn": <execution>, "stateMachineArn": <machine>, "status": <status>}}
    EOT
  }
}

# Only this rule, in this account, may invoke the report function through this statement.
resource "aws_lambda_permission" "partial_report" {
  statement_id   = "${var.state_machine_name}-partial-report"
  action         = "lambda:InvokeFunction"
  function_name  = var.report_function_arn
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.failed.arn
  source_account = local.account_id
}

# --- Optional schedule ------------------------------------------------------------------------

data "aws_iam_policy_document" "scheduler_trust" {
  statement {
    sid     = "SchedulerInThisAccount"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "StartThisStateMachine"
    actions   = ["states:StartExecution"]
    resources = [aws_sfn_state_machine.this.arn]
  }

  statement {
    sid       = "DecryptScheduleInput"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role" "scheduler" {
  count = var.schedule == null ? 0 : 1

  name                 = "${var.state_machine_name}-scheduler"
  description          = "orgops: EventBridge Scheduler starts ${var.state_machine_name}."
  assume_role_policy   = data.aws_iam_policy_document.scheduler_trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "scheduler" {
  count = var.schedule == null ? 0 : 1

  name   = "start-execution"
  role   = aws_iam_role.scheduler[0].id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule" "this" {
  count = var.schedule == null ? 0 : 1

  name                         = var.state_machine_name
  description                  = "orgops: runs ${var.operation} with a fixed input."
  schedule_expression          = var.schedule.expression
  schedule_expression_timezone = var.schedule.timezone
  kms_key_arn                  = var.kms_key_arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_sfn_state_machine.this.arn
    role_arn = aws_iam_role.scheduler[0].arn
    input    = var.schedule.input

    retry_policy {
      maximum_retry_attempts       = 3
      maximum_event_age_in_seconds = 3600
    }
  }
}
