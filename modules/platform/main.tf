# The shared pieces of orgops: one KMS key, the data bucket (results/, targets/, reports/,
# map-results/), the status table, the notification topic, and the fanout and report Lambdas.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  partition   = data.aws_partition.current.partition
  account_id  = data.aws_caller_identity.current.account_id
  region      = data.aws_region.current.region
  bucket_name = coalesce(var.data_bucket_name, "${var.name_prefix}-data-${local.account_id}-${local.region}")

  # Lifecycle expiry per prefix of the data bucket.
  prefixes = {
    results     = { prefix = "results/", days = var.expiration_days.results }
    targets     = { prefix = "targets/", days = var.expiration_days.targets }
    reports     = { prefix = "reports/", days = var.expiration_days.reports }
    map-results = { prefix = "map-results/", days = var.expiration_days.map_results }
    # Every run's data set (orgops.dataset; modules/dataset's tables) and Athena's query results.
    dataset        = { prefix = "dataset/", days = var.expiration_days.dataset }
    athena-results = { prefix = "athena-results/", days = var.expiration_days.athena_results }
    # Applying runs' change logs (orgops.audit): written once, never overwritten (the bucket policy).
    audit = { prefix = "audit/", days = var.expiration_days.audit }
  }

  functions = {
    fanout = {
      name    = var.fanout_function_name
      handler = "orgops.handlers.fanout.handler"
      role    = var.fanout_role_arn
      timeout = var.fanout_timeout_seconds
      # Exactly orgops.config.FANOUT_ENV.
      environment = {
        ORGOPS_DATA_BUCKET     = aws_s3_bucket.this.bucket
        ORGOPS_STATUS_TABLE    = aws_dynamodb_table.status.name
        ORGOPS_ORG_ROLE_ARN    = var.org_reader_role_arn
        ORGOPS_RESULT_TTL_DAYS = tostring(var.result_ttl_days)
        # The organization inventory (tags, OU paths, enabled regions of the accounts).
        ORGOPS_INVENTORY_TABLE = aws_dynamodb_table.inventory.name
        # The user's operation modules (in the operations layer), for their Params and columns.
        ORGOPS_OPERATION_MODULES = var.operations_layer.modules
        # orgops.observability (Powertools Logger and Metrics).
        POWERTOOLS_SERVICE_NAME      = var.powertools.service_name
        POWERTOOLS_METRICS_NAMESPACE = var.powertools.metrics_namespace
        POWERTOOLS_LOG_LEVEL         = var.powertools.log_level
      }
    }
    report = {
      name    = var.report_function_name
      handler = "orgops.handlers.report.handler"
      role    = var.report_role_arn
      timeout = var.report_timeout_seconds
      # Exactly orgops.config.REPORT_ENV. Only the parameter's name: never the webhook URL.
      environment = {
        ORGOPS_DATA_BUCKET             = aws_s3_bucket.this.bucket
        ORGOPS_STATUS_TABLE            = aws_dynamodb_table.status.name
        ORGOPS_TOPIC_ARN               = aws_sns_topic.this.arn
        ORGOPS_SLACK_WEBHOOK_PARAMETER = var.slack_webhook_parameter == null ? "" : var.slack_webhook_parameter
        ORGOPS_PLAN_TTL_HOURS          = tostring(var.plan_ttl_hours)
        ORGOPS_OPERATION_MODULES       = var.operations_layer.modules
        # orgops.observability (Powertools Logger and Metrics).
        POWERTOOLS_SERVICE_NAME      = var.powertools.service_name
        POWERTOOLS_METRICS_NAMESPACE = var.powertools.metrics_namespace
        POWERTOOLS_LOG_LEVEL         = var.powertools.log_level
      }
    }
  }
}

# --- KMS key: bucket, table, topic, log groups ------------------------------------------------

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:A key policy's "*" resource is this key only; the account root administers its own key (AWS's default key policy, with kms:* spelled out).
  #checkov:skip=CKV_AWS_111:A key policy's "*" resource is this key only; the account root administers its own key (AWS's default key policy, with kms:* spelled out).
  #checkov:skip=CKV_AWS_356:In a key policy the resource must be "*" (it means this key).
  # A key policy's "*" resource means this key. The account's administrators manage the key;
  # the functions use it through their IAM policies (modules/operator-roles).
  statement {
    sid = "AccountAdministersKey"
    actions = [
      "kms:CancelKeyDeletion", "kms:Create*", "kms:Decrypt", "kms:Delete*", "kms:Describe*", "kms:Disable*",
      "kms:Enable*", "kms:Encrypt", "kms:GenerateDataKey*", "kms:Get*", "kms:List*", "kms:Put*", "kms:ReEncrypt*",
      "kms:Revoke*", "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource",
      "kms:Update*",
    ]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogsEncryptsOwnLogGroups"
    actions   = ["kms:Decrypt", "kms:Describe*", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
    }
  }

  # EventBridge (failed executions) and CloudWatch alarms publish to the encrypted topic.
  statement {
    sid       = "ServicesPublishToEncryptedTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com", "cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "orgops: data bucket, status table, topic and log groups"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name_prefix}"
  target_key_id = aws_kms_key.this.key_id
}

# --- Data bucket ------------------------------------------------------------------------------

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Access logging needs a separate log bucket; every object is written by orgops' own roles, and CloudTrail data events can be enabled org-wide instead.
  #checkov:skip=CKV_AWS_144:Cross-region replication is not needed: results and reports are regenerated by running the operation again.
  #checkov:skip=CKV2_AWS_62:No consumer of object events: the report step notifies through SNS.
  bucket = local.bucket_name
  tags   = var.tags
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  dynamic "rule" {
    for_each = local.prefixes

    content {
      id     = "expire-${rule.key}"
      status = "Enabled"

      filter {
        prefix = rule.value.prefix
      }

      expiration {
        days = rule.value.days
      }

      noncurrent_version_expiration {
        noncurrent_days = var.expiration_days.noncurrent
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  # The change logs of applying runs (orgops.audit) cannot be overwritten: every write to audit/
  # must be conditional on the key not existing (If-None-Match: *, which S3 refuses with 412 when
  # it does; a multipart upload cannot carry it, so it is refused too) ...
  statement {
    sid       = "DenyOverwritingChangeLogs"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.this.arn}/audit/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Null"
      variable = "s3:if-none-match"
      values   = ["true"]
    }
  }

  # ... nor deleted, by anyone this policy binds (the lifecycle rule still expires them after
  # expiration_days.audit; changing this policy takes s3:PutBucketPolicy, itself in CloudTrail).
  statement {
    sid       = "DenyDeletingChangeLogs"
    effect    = "Deny"
    actions   = ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:BypassGovernanceRetention"]
    resources = ["${aws_s3_bucket.this.arn}/audit/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.bucket.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

# --- Status table -----------------------------------------------------------------------------

resource "aws_dynamodb_table" "status" {
  name         = "${var.name_prefix}-status"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "execution_id"
  range_key    = "target"

  attribute {
    name = "execution_id"
    type = "S"
  }

  attribute {
    name = "target"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }

  deletion_protection_enabled = true
  tags                        = var.tags
}

# --- Notification topic -----------------------------------------------------------------------

resource "aws_sns_topic" "this" {
  name              = "${var.name_prefix}-notifications"
  kms_master_key_id = aws_kms_key.this.arn
  tags              = var.tags
}

data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "AccountPublishes"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this.arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "EventBridgePublishesFailedExecutions"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name_prefix}-*"]
    }
  }
}

resource "aws_sns_topic_policy" "this" {
  arn    = aws_sns_topic.this.arn
  policy = data.aws_iam_policy_document.topic.json
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.notification_emails)

  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = each.value
}

# --- Fanout and report Lambdas ----------------------------------------------------------------

resource "aws_cloudwatch_log_group" "function" {
  for_each = local.functions

  name              = "/aws/lambda/${each.value.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously by Step Functions, which retries and records failures: a DLQ would never receive anything.
  #checkov:skip=CKV_AWS_117:Calls only AWS APIs over the internet; a VPC would add NAT gateways and endpoints and no isolation.
  #checkov:skip=CKV_AWS_115:Reserved concurrency is left to the account: reserving it can fail on accounts with low limits, and the state machine's MaxConcurrency already bounds the calls.
  #checkov:skip=CKV_AWS_173:The environment holds only resource names (no secret); Lambda encrypts it at rest with its AWS managed key.
  #checkov:skip=CKV_AWS_272:Code signing needs a Signer profile; the package is built reproducibly by build.py and deployed by Terraform with its hash.
  for_each = local.functions

  function_name = each.value.name
  description   = "orgops ${each.key}"
  role          = each.value.role
  handler       = each.value.handler
  runtime       = "python3.13"
  architectures = ["arm64"]
  # Powertools: the AWS-managed layer, never our zip; the user's operations: their own layer.
  layers           = compact([var.powertools.layer_arn, var.operations_layer.arn])
  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  timeout          = each.value.timeout
  memory_size      = var.memory_size
  tags             = var.tags

  environment {
    variables = each.value.environment
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function[each.key].name
  }

  tracing_config {
    mode = var.tracing_enabled ? "Active" : "PassThrough"
  }
}

# --- Organization inventory -------------------------------------------------------------------
# One item per account (orgops.inventory): name, status, OU path, tags, enabled regions. The
# inventory function keeps it: on a schedule (the OU tree walked, the stalest accounts' tags and
# regions re-read within AWS's rates) and on the Organizations and Account Management events the
# management account forwards to the organization events bus (modules/orgops/main.tf). The fanout and
# the accounts operation read it instead of one ListTagsForResource and one ListRegions per account.

resource "aws_dynamodb_table" "inventory" {
  name         = "${var.name_prefix}-inventory"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "account_id"

  attribute {
    name = "account_id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }

  deletion_protection_enabled = true
  tags                        = var.tags
}

resource "aws_cloudwatch_log_group" "inventory" {
  name              = "/aws/lambda/${var.inventory_function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = var.tags
}

resource "aws_lambda_function" "inventory" {
  #checkov:skip=CKV_AWS_116:Invoked asynchronously by EventBridge; an event lost after Lambda's own retries is repaired by the scheduled refresh, which re-reads every account: a DLQ would hold nothing to act on.
  #checkov:skip=CKV_AWS_117:Calls only AWS APIs over the internet; a VPC would add NAT gateways and endpoints and no isolation.
  #checkov:skip=CKV_AWS_115:Reserved concurrency is left to the account: reserving it can fail on accounts with low limits; each invocation paces itself to AWS's request rates.
  #checkov:skip=CKV_AWS_173:The environment holds only resource names (no secret); Lambda encrypts it at rest with its AWS managed key.
  #checkov:skip=CKV_AWS_272:Code signing needs a Signer profile; the package is built reproducibly by build.py and deployed by Terraform with its hash.
  function_name    = var.inventory_function_name
  description      = "orgops organization inventory"
  role             = var.inventory_role_arn
  handler          = "orgops.handlers.inventory.handler"
  runtime          = "python3.13"
  architectures    = ["arm64"]
  layers           = [var.powertools.layer_arn] # Powertools: the AWS-managed layer, never our zip
  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  timeout          = var.inventory_timeout_seconds
  memory_size      = var.memory_size
  tags             = var.tags

  environment {
    # Exactly orgops.config.INVENTORY_ENV.
    variables = {
      ORGOPS_INVENTORY_TABLE = aws_dynamodb_table.inventory.name
      ORGOPS_ORG_ROLE_ARN    = var.org_reader_role_arn
      # orgops.observability (Powertools Logger and Metrics).
      POWERTOOLS_SERVICE_NAME      = var.powertools.service_name
      POWERTOOLS_METRICS_NAMESPACE = var.powertools.metrics_namespace
      POWERTOOLS_LOG_LEVEL         = var.powertools.log_level
    }
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.inventory.name
  }

  tracing_config {
    mode = var.tracing_enabled ? "Active" : "PassThrough"
  }
}

resource "aws_cloudwatch_event_rule" "inventory_schedule" {
  name                = "${var.name_prefix}-inventory-schedule"
  description         = "orgops: refresh the organization inventory (walk the OU tree, re-read the stalest accounts)."
  schedule_expression = var.inventory_schedule
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "inventory_schedule" {
  rule      = aws_cloudwatch_event_rule.inventory_schedule.name
  target_id = "inventory"
  arn       = aws_lambda_function.inventory.arn
  input     = jsonencode({ Refresh = "stalest" })
}

resource "aws_lambda_permission" "inventory_schedule" {
  statement_id   = "${var.name_prefix}-inventory-schedule"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.inventory.function_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.inventory_schedule.arn
  source_account = local.account_id
}

# Organizations (via CloudTrail) and Account Management events happen in the management account;
# its rule forwards them here, onto a bus of their own (its policy is ours alone: the default bus
# may carry another policy), where this rule hands them to the inventory function.
resource "aws_cloudwatch_event_bus" "organization" {
  name = "${var.name_prefix}-organization-events"
  tags = var.tags
}

data "aws_iam_policy_document" "organization_bus" {
  statement {
    sid       = "ManagementAccountForwardsOrganizationEvents"
    actions   = ["events:PutEvents"]
    resources = [aws_cloudwatch_event_bus.organization.arn]

    principals {
      type        = "AWS"
      identifiers = [var.organization_events_sender_arn]
    }
  }
}

resource "aws_cloudwatch_event_bus_policy" "organization" {
  event_bus_name = aws_cloudwatch_event_bus.organization.name
  policy         = data.aws_iam_policy_document.organization_bus.json
}

resource "aws_cloudwatch_event_rule" "inventory_events" {
  name           = "${var.name_prefix}-inventory-events"
  description    = "orgops: an account tagged, moved, created, removed or closed, an OU renamed, a region opted in: refresh the inventory."
  event_bus_name = aws_cloudwatch_event_bus.organization.name
  tags           = var.tags

  event_pattern = jsonencode({
    source = ["aws.organizations", "aws.account"]
  })
}

resource "aws_cloudwatch_event_target" "inventory_events" {
  rule           = aws_cloudwatch_event_rule.inventory_events.name
  event_bus_name = aws_cloudwatch_event_bus.organization.name
  target_id      = "inventory"
  arn            = aws_lambda_function.inventory.arn
}

resource "aws_lambda_permission" "inventory_events" {
  statement_id   = "${var.name_prefix}-inventory-events"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.inventory.function_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.inventory_events.arn
  source_account = local.account_id
}
