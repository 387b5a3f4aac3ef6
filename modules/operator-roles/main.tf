# The roles of the operations account, each with only what its function uses:
# - operation-readonly-lambda / operation-admin-lambda (the seed's worker roles): assume only
#   operation-readonly / operation-admin in the organization's accounts, write results/*, read and
#   count their executions' failures (MaxErrors: the status table's run item), logs;
# - the fanout: assume the org-reader, write targets/* and SKIPPED statuses; for RetryFailed read an
#   earlier execution of the operations (DescribeExecution, its targets/* plan, its statuses); for
#   Preflight invoke the operations' workers;
# - the report: read statuses and results/*, write reports/* and dataset/*, publish to the topic, read the
#   one Slack parameter, read the history of the operations' executions (a partial report is
#   written only for an execution whose fanout listed its targets); for what changed since the last
#   run, describe the operations' executions (their input) and read report.csv files, the baseline
#   pointers and the data set's statuses;
# - one state machine role per operation: invoke its three functions, write statuses, read
#   targets/*, write map-results/*, run its own distributed Map children, deliver logs.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region

  fanout_function    = "${var.name_prefix}-fanout"
  report_function    = "${var.name_prefix}-report"
  inventory_function = "${var.name_prefix}-inventory"
  worker_function    = { for op in var.operations : op => "${var.name_prefix}-${op}-worker" }
  state_machine      = { for op in var.operations : op => "${var.name_prefix}-${op}" }

  lambda_arn_prefix = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function"
  log_group_prefix  = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group"
  states_prefix     = "arn:${local.partition}:states:${local.region}:${local.account_id}"

  org_reader_role_arn = "arn:${local.partition}:iam::${var.management_account_id}:role/${var.org_reader_role_name}"

  shared_workers = {
    readonly = {
      name        = var.readonly_lambda_role_name
      member_role = var.readonly_role_name
      # Operations with role "organization" run as the read-only worker and assume the org-reader.
      extra_role_arns = [local.org_reader_role_arn]
    }
    admin = {
      name            = var.admin_lambda_role_name
      member_role     = var.admin_role_name
      extra_role_arns = []
    }
  }
  # member_roles.per_operation: a worker role per operation, reaching only that operation's member
  # role (an organization operation: the org-reader), so one compromised worker cannot act as another.
  operation_workers = {
    for op, r in var.per_operation_roles : op => {
      name            = substr("${var.name_prefix}-${op}-worker", 0, 64)
      member_role     = r.member_role
      extra_role_arns = r.organization ? [local.org_reader_role_arn] : []
    }
  }
  workers = length(var.per_operation_roles) > 0 ? local.operation_workers : local.shared_workers

  # The status table's partition key is the execution ARN (dynamodb:LeadingKeys): a worker reads and
  # counts the failures (MaxErrors) of its own operations' executions only.
  execution_arns = { for op in var.operations : op => "${local.states_prefix}:execution:${local.state_machine[op]}:*" }
  worker_execution_arns = {
    for k, _ in local.workers : k => (
      length(var.per_operation_roles) > 0 ? [local.execution_arns[k]] : [for op in sort(tolist(var.operations)) : local.execution_arns[op]]
    )
  }

  # S3, DynamoDB and SNS call KMS for the bucket's, table's and topic's key on the caller's behalf.
  kms_via_s3_dynamodb = ["s3.${local.region}.amazonaws.com", "dynamodb.${local.region}.amazonaws.com"]
  kms_via_report      = concat(local.kms_via_s3_dynamodb, ["sns.${local.region}.amazonaws.com"])

  slack_is_secret = var.slack_webhook_parameter != null && startswith(coalesce(var.slack_webhook_parameter, "-"), "arn:")
  slack_parameter_arn = var.slack_webhook_parameter == null || local.slack_is_secret ? null : (
    "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/${trimprefix(var.slack_webhook_parameter, "/")}"
  )
}

# --- Trust ------------------------------------------------------------------------------------

data "aws_iam_policy_document" "lambda_trust" {
  statement {
    sid     = "LambdaService"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "states_trust" {
  statement {
    sid     = "StepFunctionsInThisAccount"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# --- Workers: operation-readonly-lambda, operation-admin-lambda -------------------------------

data "aws_iam_policy_document" "worker" {
  for_each = local.workers

  statement {
    sid       = "AssumeMemberRoleInOrganization"
    actions   = ["sts:AssumeRole"]
    resources = ["arn:${local.partition}:iam::*:role/${each.value.member_role}"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceOrgID"
      values   = [var.organization_id]
    }
  }

  dynamic "statement" {
    for_each = length(each.value.extra_role_arns) > 0 ? [1] : []

    content {
      sid       = "AssumeOrgReader"
      actions   = ["sts:AssumeRole"]
      resources = each.value.extra_role_arns
    }
  }

  statement {
    sid       = "WriteResults"
    actions   = ["s3:PutObject"]
    resources = ["${var.data_bucket_arn}/results/*"]
  }

  # A run applying a plan (orgops.plans): each target's planned changes are the dry run's stored rows.
  statement {
    sid       = "ReadPlannedRows"
    actions   = ["s3:GetObject"]
    resources = ["${var.data_bucket_arn}/results/*"]
  }

  # MaxErrors: the run's failure counter (the status table's "#run" item of the execution), read
  # before each target and added to on each failure; only items of its own operations' executions.
  statement {
    sid       = "CountRunFailures"
    actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
    resources = [var.status_table_arn]

    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = local.worker_execution_arns[each.key]
    }
  }

  statement {
    sid       = "UseStatusTableKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${local.region}.amazonaws.com"]
    }
  }

  # The workers of organization operations (those that assume the org-reader) read the
  # organization inventory (the accounts operation's tags), with their own role.
  dynamic "statement" {
    for_each = length(each.value.extra_role_arns) > 0 ? [1] : []

    content {
      sid       = "ReadInventory"
      actions   = ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"]
      resources = [var.inventory_table_arn]
    }
  }

  dynamic "statement" {
    for_each = length(each.value.extra_role_arns) > 0 ? [1] : []

    content {
      sid       = "DecryptInventory"
      actions   = ["kms:Decrypt"]
      resources = [var.kms_key_arn]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["dynamodb.${local.region}.amazonaws.com"]
      }
    }
  }

  statement {
    sid       = "EncryptResults"
    actions   = ["kms:GenerateDataKey"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_prefix}:/aws/lambda/${var.name_prefix}-*-worker:*"]
  }

  dynamic "statement" {
    for_each = var.tracing_enabled ? [1] : []

    content {
      sid       = "Tracing"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role" "worker" {
  for_each = local.workers

  name                 = each.value.name
  description          = "orgops ${each.key} worker Lambda: assumes ${each.value.member_role} in the organization's accounts."
  assume_role_policy   = data.aws_iam_policy_document.lambda_trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "worker" {
  for_each = local.workers

  name   = "orgops-worker"
  role   = aws_iam_role.worker[each.key].id
  policy = data.aws_iam_policy_document.worker[each.key].json
}

# --- Fanout -----------------------------------------------------------------------------------

data "aws_iam_policy_document" "fanout" {
  statement {
    sid       = "AssumeOrgReader"
    actions   = ["sts:AssumeRole"]
    resources = [local.org_reader_role_arn]
  }

  statement {
    sid       = "WriteTargets"
    actions   = ["s3:PutObject"]
    resources = ["${var.data_bucket_arn}/targets/*"]
  }

  statement {
    sid       = "WriteSkippedStatuses"
    actions   = ["dynamodb:BatchWriteItem", "dynamodb:PutItem"]
    resources = [var.status_table_arn]
  }

  # RetryFailed: the earlier execution's input (its Params), plan and statuses.
  statement {
    sid       = "DescribeExecutionToRetry"
    actions   = ["states:DescribeExecution"]
    resources = [for op in var.operations : "${local.states_prefix}:execution:${local.state_machine[op]}:*"]
  }

  statement {
    sid       = "ReadPlanToRetry"
    actions   = ["s3:GetObject"]
    resources = ["${var.data_bucket_arn}/targets/*"]
  }

  # Plan: the reviewed plan a run applies, which a dry run's report wrote beside its report.csv.
  statement {
    sid       = "ReadPlanToApply"
    actions   = ["s3:GetObject"]
    resources = ["${var.data_bucket_arn}/reports/*/plan.json"]
  }

  statement {
    sid       = "ReadStatusesToRetry"
    actions   = ["dynamodb:Query"]
    resources = [var.status_table_arn]
  }

  # Preflight: true: the operation's worker, in pre-flight mode (it only assumes its member role).
  statement {
    sid       = "InvokeWorkersForPreflight"
    actions   = ["lambda:InvokeFunction"]
    resources = [for op in var.operations : "${local.lambda_arn_prefix}:${local.worker_function[op]}"]
  }

  # Tags, OU paths and enabled regions of the accounts, from the organization inventory.
  statement {
    sid       = "ReadInventory"
    actions   = ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"]
    resources = [var.inventory_table_arn]
  }

  statement {
    sid       = "UseDataKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = local.kms_via_s3_dynamodb
    }
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_prefix}:/aws/lambda/${local.fanout_function}:*"]
  }

  dynamic "statement" {
    for_each = var.tracing_enabled ? [1] : []

    content {
      sid       = "Tracing"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role" "fanout" {
  name                 = "${var.name_prefix}-fanout"
  description          = "orgops fanout Lambda: lists the organization through the org-reader, writes targets and skipped statuses."
  assume_role_policy   = data.aws_iam_policy_document.lambda_trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "fanout" {
  name   = "orgops-fanout"
  role   = aws_iam_role.fanout.id
  policy = data.aws_iam_policy_document.fanout.json
}

# --- Inventory --------------------------------------------------------------------------------
# The organization inventory Lambda (orgops.handlers.inventory): reads the organization through
# the org-reader (Organizations reads, account:ListRegions: the org-reader's own policy), keeps
# one item per account in the inventory table, logs.

data "aws_iam_policy_document" "inventory" {
  statement {
    sid       = "AssumeOrgReader"
    actions   = ["sts:AssumeRole"]
    resources = [local.org_reader_role_arn]
  }

  statement {
    sid = "ReadWriteInventory"
    actions = [
      "dynamodb:BatchWriteItem",
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Scan",
      "dynamodb:UpdateItem",
    ]
    resources = [var.inventory_table_arn]
  }

  statement {
    sid       = "UseDataKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_prefix}:/aws/lambda/${local.inventory_function}:*"]
  }

  dynamic "statement" {
    for_each = var.tracing_enabled ? [1] : []

    content {
      sid       = "Tracing"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role" "inventory" {
  name                 = "${var.name_prefix}-inventory"
  description          = "orgops inventory Lambda: reads the organization through the org-reader, keeps the organization inventory table."
  assume_role_policy   = data.aws_iam_policy_document.lambda_trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "inventory" {
  name   = "orgops-inventory"
  role   = aws_iam_role.inventory.id
  policy = data.aws_iam_policy_document.inventory.json
}

# --- Report -----------------------------------------------------------------------------------

data "aws_iam_policy_document" "report" {
  # The statuses, and the run's own item (MaxErrors, RetryFailed).
  statement {
    sid       = "ReadStatuses"
    actions   = ["dynamodb:GetItem", "dynamodb:Query"]
    resources = [var.status_table_arn]
  }

  statement {
    sid       = "ReadResults"
    actions   = ["s3:GetObject"]
    resources = ["${var.data_bucket_arn}/results/*"]
  }

  # The fanout's plan: the report reconciles the planned targets with the recorded statuses.
  statement {
    sid       = "ReadPlan"
    actions   = ["s3:GetObject"]
    resources = ["${var.data_bucket_arn}/targets/*"]
  }

  statement {
    sid       = "WriteReports"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = ["${var.data_bucket_arn}/reports/*"]
  }

  # What changed since the last run (orgops.baselines): the baseline pointers, the baseline's and the
  # run's own report.csv, the baseline's target statuses (its data set object) ...
  statement {
    sid     = "ReadBaselines"
    actions = ["s3:GetObject"]
    resources = [
      "${var.data_bucket_arn}/reports/*/baselines/*",
      "${var.data_bucket_arn}/reports/*/report.csv",
      "${var.data_bucket_arn}/dataset/statuses/*",
    ]
  }

  # ... and the run's input, whose Regions, Accounts, Params and DryRun choose the baseline.
  statement {
    sid       = "DescribeExecutionsToCompare"
    actions   = ["states:DescribeExecution"]
    resources = [for op in var.operations : "${local.states_prefix}:execution:${local.state_machine[op]}:*"]
  }

  # An applying run's change log (orgops.audit), written once: the bucket policy denies overwriting it.
  statement {
    sid       = "WriteChangeLogs"
    actions   = ["s3:PutObject"]
    resources = ["${var.data_bucket_arn}/audit/*"]
  }

  # Every run as a data set (orgops.dataset: rows, statuses, summary), which modules/dataset's tables read.
  statement {
    sid       = "WriteDataset"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = ["${var.data_bucket_arn}/dataset/*"]
  }

  statement {
    sid       = "Notify"
    actions   = ["sns:Publish"]
    resources = [var.topic_arn]
  }

  # A failed, timed-out or stopped execution (EventBridge invokes the report): did its fanout list the targets?
  statement {
    sid       = "ReadHistoryOfEndedExecutions"
    actions   = ["states:GetExecutionHistory"]
    resources = [for op in var.operations : "${local.states_prefix}:execution:${local.state_machine[op]}:*"]
  }

  statement {
    sid       = "UseDataKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = local.kms_via_report
    }
  }

  dynamic "statement" {
    for_each = local.slack_parameter_arn == null ? [] : [local.slack_parameter_arn]

    content {
      sid       = "ReadSlackWebhookParameter"
      actions   = ["ssm:GetParameter"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = local.slack_is_secret ? [var.slack_webhook_parameter] : []

    content {
      sid       = "ReadSlackWebhookSecret"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = var.slack_webhook_kms_key_arn == null ? [] : [var.slack_webhook_kms_key_arn]

    content {
      sid       = "DecryptSlackWebhook"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.slack_is_secret ? "secretsmanager.${local.region}.amazonaws.com" : "ssm.${local.region}.amazonaws.com"]
      }
    }
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_prefix}:/aws/lambda/${local.report_function}:*"]
  }

  dynamic "statement" {
    for_each = var.tracing_enabled ? [1] : []

    content {
      sid       = "Tracing"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role" "report" {
  name                 = "${var.name_prefix}-report"
  description          = "orgops report Lambda: reads statuses and results, writes reports, notifies."
  assume_role_policy   = data.aws_iam_policy_document.lambda_trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "report" {
  name   = "orgops-report"
  role   = aws_iam_role.report.id
  policy = data.aws_iam_policy_document.report.json
}

# --- State machines: one role per operation ---------------------------------------------------

data "aws_iam_policy_document" "state_machine" {
  for_each = var.operations

  statement {
    sid     = "InvokeOwnFunctions"
    actions = ["lambda:InvokeFunction"]
    resources = flatten([
      for fn in [local.fanout_function, local.worker_function[each.key], local.report_function] :
      ["${local.lambda_arn_prefix}:${fn}", "${local.lambda_arn_prefix}:${fn}:*"]
    ])
  }

  statement {
    sid       = "RecordStatus"
    actions   = ["dynamodb:PutItem"]
    resources = [var.status_table_arn]
  }

  statement {
    sid       = "ReadTargetBatches"
    actions   = ["s3:GetObject"]
    resources = ["${var.data_bucket_arn}/targets/*"]
  }

  statement {
    sid       = "WriteMapResults"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = ["${var.data_bucket_arn}/map-results/*"]
  }

  statement {
    sid       = "UseDataKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = local.kms_via_s3_dynamodb
    }
  }

  statement {
    sid       = "StartOwnDistributedMapChildren"
    actions   = ["states:StartExecution"]
    resources = ["${local.states_prefix}:stateMachine:${local.state_machine[each.key]}"]
  }

  statement {
    sid     = "ManageOwnChildExecutions"
    actions = ["states:DescribeExecution", "states:StopExecution"]
    resources = [
      "${local.states_prefix}:execution:${local.state_machine[each.key]}/*",
      "${local.states_prefix}:express:${local.state_machine[each.key]}/*",
    ]
  }

  # CloudWatch Logs delivery for Step Functions: these actions support no resource-level
  # permissions, so "*" is required (documented by AWS for state machine logging).
  statement {
    sid = "DeliverLogs"
    actions = [
      "logs:CreateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:DescribeLogGroups",
      "logs:DescribeResourcePolicies",
      "logs:GetLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:UpdateLogDelivery",
    ]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = var.tracing_enabled ? [1] : []

    content {
      sid       = "Tracing"
      actions   = ["xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role" "state_machine" {
  for_each = var.operations

  name                 = "${var.name_prefix}-${each.key}-sfn"
  description          = "orgops state machine of ${each.key}: invokes its functions, records statuses, runs its Map."
  assume_role_policy   = data.aws_iam_policy_document.states_trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "state_machine" {
  for_each = var.operations

  name   = "orgops-state-machine"
  role   = aws_iam_role.state_machine[each.key].id
  policy = data.aws_iam_policy_document.state_machine[each.key].json
}
