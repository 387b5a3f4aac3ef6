# orgops, the whole deployment as one module: the member roles (management account, StackSet to
# every account), the operator roles, the shared platform, and one state machine per operation.
# No provider blocks: the calling root passes three (README.md): aws (the operations account),
# aws.management (the organization's management account) and aws.stack_sets (the StackSets
# delegated administrator with member_roles.call_as = "DELEGATED_ADMIN", else the management
# account again). terraform/ is this repository's root; examples/own-operations/terraform another.

data "aws_organizations_organization" "this" {
  provider = aws.management
}

# The operations account's region: the default provider's, so the layer ARN and the dashboard
# cannot name another region than the one the functions are deployed in.
data "aws_region" "current" {}

locals {
  # null: dist/ beside the calling root's folder (terraform/ -> this repository's dist/).
  package_path  = coalesce(var.package_path, "${path.root}/../dist/orgops.zip")
  manifest_path = "${dirname(local.package_path)}/operations.json"
  layer_path    = "${dirname(local.package_path)}/operations-layer.zip"
  # The operation manifest build.py writes (module "manifest" refuses a missing one, clearly).
  manifest = try(jsondecode(file(local.manifest_path)), { operations = {} })
  # Each deployed operation's role: the one it declares (an operations entry may repeat it, never change it).
  operation_roles = { for op, o in var.operations : op => coalesce(o.role, try(local.manifest.operations[op].role, "readonly")) }
  role_overrides = [
    for op, o in var.operations : "${op}: ${o.role} (it declares ${local.manifest.operations[op].role})"
    if o.role != null && try(local.manifest.operations[op].role != o.role, false)
  ]
  # The user's own operations among the deployed ones: their modules, in the layer build.py made.
  user_modules          = sort([for op in keys(var.operations) : local.manifest.operations[op].module if !try(local.manifest.operations[op].builtin, true)])
  management_account_id = data.aws_organizations_organization.this.master_account_id
  # Read once with the management provider, passed to both member-roles instances.
  organization = {
    id                    = data.aws_organizations_organization.this.id
    management_account_id = data.aws_organizations_organization.this.master_account_id
    root_id               = data.aws_organizations_organization.this.roots[0].id
  }

  readonly_role_name = "operation-readonly"
  admin_role_name    = "operation-admin"

  # member_roles.per_operation: one member role and one worker role per operation.
  per_operation         = var.member_roles.per_operation
  operation_role_prefix = "orgops-op-"
  operation_member_role = {
    for op, role in local.operation_roles : op => role == "organization" ? var.org_reader_role_name : "${local.operation_role_prefix}${op}"
  }
  worker_role_arn = {
    for op, role in local.operation_roles : op => local.per_operation ? module.operator_roles.worker_role_arns[op] : module.operator_roles.worker_role_arns[local.worker_role_key[role]]
  }
  # Who may assume the org-reader: the fanout, and the workers of organization operations.
  org_reader_trusted = concat(
    [module.operator_roles.fanout_role_arn, module.operator_roles.inventory_role_arn],
    local.per_operation ? [for op, role in local.operation_roles : module.operator_roles.worker_role_arns[op] if role == "organization"] : [module.operator_roles.worker_role_arns["readonly"]],
  )
  per_operation_roles = local.per_operation ? {
    for op, name in module.manifest.per_operation_role_names : op => {
      name        = name
      kind        = module.manifest.roles[op]
      trusted_arn = module.operator_roles.worker_role_arns[op]
      actions     = module.manifest.operation_actions[op]
    }
  } : {}

  # Role of each operation -> the worker Lambda role it runs as and the role it assumes.
  worker_role_key = { readonly = "readonly", admin = "admin", organization = "readonly" }
  member_role_name = {
    readonly     = local.readonly_role_name
    admin        = local.admin_role_name
    organization = var.org_reader_role_name
  }

  # Powertools for AWS Lambda (Python), for orgops.observability: the AWS-managed layer (every
  # function is arm64 on python3.13), its ARN built for this region; never in our zip.
  powertools = {
    layer_arn         = "arn:aws:lambda:${data.aws_region.current.region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:${var.powertools_layer_version}"
    metrics_namespace = var.metrics_namespace
    log_level         = var.log_level
  }
}

# Each operation's role and IAM actions, from the manifest `make package` writes.
module "manifest" {
  source = "../operation-manifest"

  manifest_path    = local.manifest_path
  operations       = toset(keys(var.operations))
  role_name_prefix = local.operation_role_prefix
  worker_role_arns = local.per_operation ? { for op, role in local.operation_roles : op => module.operator_roles.worker_role_arns[op] if role != "organization" } : {}
}

module "operator_roles" {
  source = "../operator-roles"

  name_prefix               = var.name_prefix
  operations                = toset(keys(var.operations))
  management_account_id     = local.management_account_id
  organization_id           = data.aws_organizations_organization.this.id
  readonly_role_name        = local.readonly_role_name
  admin_role_name           = local.admin_role_name
  org_reader_role_name      = var.org_reader_role_name
  data_bucket_arn           = module.platform.data_bucket_arn
  status_table_arn          = module.platform.status_table_arn
  topic_arn                 = module.platform.topic_arn
  kms_key_arn               = module.platform.kms_key_arn
  slack_webhook_parameter   = var.slack_webhook_parameter
  slack_webhook_kms_key_arn = var.slack_webhook_kms_key_arn
  tracing_enabled           = var.tracing_enabled
  # The organization inventory: the fanout and the organization operations' workers read it.
  inventory_table_arn = module.platform.inventory_table_arn
  per_operation_roles = local.per_operation ? {
    for op, role in local.operation_roles : op => { member_role = local.operation_member_role[op], organization = role == "organization" }
  } : {}
}

module "member_roles" {
  source = "../member-roles"
  count  = var.member_roles.deploy ? 1 : 0

  providers = {
    aws = aws.management
  }

  readonly_lambda_role_arn     = lookup(module.operator_roles.worker_role_arns, "readonly", null)
  admin_lambda_role_arn        = lookup(module.operator_roles.worker_role_arns, "admin", null)
  org_reader_trusted_role_arns = local.org_reader_trusted
  per_operation                = local.per_operation
  per_operation_template       = local.per_operation ? module.manifest.per_operation_template : null
  per_operation_roles          = local.per_operation_roles
  readonly_role_name           = local.readonly_role_name
  admin_role_name              = local.admin_role_name
  org_reader_role_name         = var.org_reader_role_name
  readonly_policy_arns         = var.member_roles.readonly_policy_arns
  admin_policy_arns            = var.member_roles.admin_policy_arns
  policy_mode                  = var.member_roles.policy_mode
  readonly_statements          = module.manifest.readonly_statements
  admin_statements             = module.manifest.admin_statements
  per_operation_statements     = local.per_operation ? module.manifest.operation_statements : {}
  organizational_unit_ids      = var.member_roles.organizational_unit_ids
  management_account_roles     = var.member_roles.management_account_roles
  # The org-reader and the management account's roles always live here; the StackSet too, unless
  # a delegated administrator creates it (member_roles_stack_set below).
  create_stack_set = var.member_roles.call_as == "SELF"
  call_as          = "SELF"
  organization     = local.organization
  operation_preferences = {
    failure_tolerance_percentage = var.member_roles.failure_tolerance_percentage
    max_concurrent_percentage    = var.member_roles.max_concurrent_percentage
  }
}

# The StackSet from a StackSets delegated administrator (member_roles.call_as = "DELEGATED_ADMIN").
module "member_roles_stack_set" {
  source = "../member-roles"
  count  = var.member_roles.deploy && var.member_roles.call_as == "DELEGATED_ADMIN" ? 1 : 0

  providers = {
    aws = aws.stack_sets
  }

  readonly_lambda_role_arn     = lookup(module.operator_roles.worker_role_arns, "readonly", null)
  admin_lambda_role_arn        = lookup(module.operator_roles.worker_role_arns, "admin", null)
  org_reader_trusted_role_arns = local.org_reader_trusted
  per_operation                = local.per_operation
  per_operation_template       = local.per_operation ? module.manifest.per_operation_template : null
  per_operation_roles          = local.per_operation_roles
  readonly_role_name           = local.readonly_role_name
  admin_role_name              = local.admin_role_name
  org_reader_role_name         = var.org_reader_role_name
  readonly_policy_arns         = var.member_roles.readonly_policy_arns
  admin_policy_arns            = var.member_roles.admin_policy_arns
  policy_mode                  = var.member_roles.policy_mode
  readonly_statements          = module.manifest.readonly_statements
  admin_statements             = module.manifest.admin_statements
  per_operation_statements     = local.per_operation ? module.manifest.operation_statements : {}
  organizational_unit_ids      = var.member_roles.organizational_unit_ids
  management_account_roles     = []
  create_org_reader            = false
  create_stack_set             = true
  call_as                      = "DELEGATED_ADMIN"
  organization                 = local.organization
  operation_preferences = {
    failure_tolerance_percentage = var.member_roles.failure_tolerance_percentage
    max_concurrent_percentage    = var.member_roles.max_concurrent_percentage
  }
}

module "platform" {
  source = "../platform"

  name_prefix             = var.name_prefix
  fanout_function_name    = module.operator_roles.names.fanout_function
  report_function_name    = module.operator_roles.names.report_function
  fanout_role_arn         = module.operator_roles.fanout_role_arn
  report_role_arn         = module.operator_roles.report_role_arn
  org_reader_role_arn     = module.operator_roles.org_reader_role_arn
  package_path            = local.package_path
  expiration_days         = var.expiration_days
  result_ttl_days         = var.result_ttl_days
  plan_ttl_hours          = var.plan_ttl_hours
  notification_emails     = var.notification_emails
  slack_webhook_parameter = var.slack_webhook_parameter
  log_retention_days      = var.log_retention_days
  tracing_enabled         = var.tracing_enabled
  powertools              = local.powertools
  operations_layer        = local.operations_layer

  # The organization inventory (its function, and the bus the management account forwards to).
  inventory_function_name        = module.operator_roles.names.inventory_function
  inventory_role_arn             = module.operator_roles.inventory_role_arn
  organization_events_sender_arn = aws_iam_role.organization_events.arn
}

# The user's own operations (build.py --operations-path): one layer for the fanout, the report
# and their workers, only when a deployed operation is not a built-in.
resource "aws_lambda_layer_version" "operations" {
  count = length(local.user_modules) > 0 ? 1 : 0

  layer_name               = "${var.name_prefix}-operations"
  description              = "orgops: the user's operation modules (${join(", ", local.user_modules)})"
  filename                 = local.layer_path
  source_code_hash         = filebase64sha256(local.layer_path)
  compatible_runtimes      = ["python3.13"]
  compatible_architectures = ["arm64"]
}

locals {
  operations_layer = {
    arn     = length(local.user_modules) > 0 ? aws_lambda_layer_version.operations[0].arn : null
    modules = join(",", local.user_modules)
  }
}

module "operation" {
  source   = "../operation"
  for_each = var.operations

  operation              = each.key
  state_machine_name     = module.operator_roles.names.state_machines[each.key]
  worker_function_name   = module.operator_roles.names.worker_functions[each.key]
  worker_role_arn        = local.worker_role_arn[each.key]
  member_role_name       = local.per_operation ? local.operation_member_role[each.key] : local.member_role_name[local.operation_roles[each.key]]
  operation_role         = local.operation_roles[each.key]
  inventory_table        = module.platform.inventory_table_name
  operations_layer       = local.operations_layer
  state_machine_role_arn = module.operator_roles.state_machine_role_arns[each.key]
  fanout_function_arn    = module.platform.fanout_function_arn
  report_function_arn    = module.platform.report_function_arn
  status_table           = module.platform.status_table_name
  data_bucket            = module.platform.data_bucket_name
  topic_arn              = module.platform.topic_arn
  kms_key_arn            = module.platform.kms_key_arn
  package_path           = local.package_path

  regions                      = length(each.value.regions) > 0 ? each.value.regions : var.default_regions
  max_concurrency              = each.value.max_concurrency
  distributed_threshold        = each.value.distributed_threshold
  batch_size                   = each.value.batch_size
  batch_max_concurrency        = each.value.batch_max_concurrency
  distributed_max_concurrency  = each.value.distributed_max_concurrency
  tolerated_failure_percentage = each.value.tolerated_failure_percentage
  max_errors                   = each.value.max_errors
  child_execution_type         = var.child_execution_type
  worker_timeout_seconds       = each.value.worker_timeout_seconds
  worker_retry_max_attempts    = each.value.worker_retry_max_attempts
  worker_reserved_concurrency  = each.value.worker_reserved_concurrency
  worker_memory_size           = each.value.worker_memory_size
  log_retention_days           = var.log_retention_days
  tracing_enabled              = var.tracing_enabled
  powertools                   = local.powertools

  schedule = each.value.schedule == null ? null : {
    expression = each.value.schedule.expression
    timezone   = each.value.schedule.timezone
    input      = jsonencode({ Params = jsondecode(each.value.params), DryRun = each.value.schedule.dry_run })
  }
}

module "observability" {
  source = "../observability"

  name_prefix       = var.name_prefix
  region            = data.aws_region.current.region
  metrics_namespace = var.metrics_namespace
  operations = {
    for name, op in module.operation : name => {
      state_machine_arn    = op.state_machine_arn
      worker_function_name = module.operator_roles.names.worker_functions[name]
    }
  }
  shared_function_names = {
    fanout = module.operator_roles.names.fanout_function
    report = module.operator_roles.names.report_function
  }
  alarm_topic_arn               = module.platform.topic_arn
  failed_target_ratio_threshold = var.alarms.failed_target_ratio_threshold
  alarm_actions_enabled         = var.alarms.enabled
}

# --- Organization inventory: events from the management account -------------------------------
# Organizations records its API calls in CloudTrail, which EventBridge delivers in the management
# account, in us-east-1 (Organizations' region); Account Management sends "Region Opt-In Status
# Change" there too for the regions the management account opts in. This rule forwards them to
# the operations account's organization events bus (modules/platform), where the inventory
# function refreshes the account named. Events are delivered on a best-effort basis: the
# inventory's schedule re-reads every account anyway.

locals {
  organization_event_patterns = {
    organizations = {
      source        = ["aws.organizations"]
      "detail-type" = ["AWS API Call via CloudTrail", "AWS Service Event via CloudTrail"]
      detail = {
        eventSource = ["organizations.amazonaws.com"]
        # orgops.inventory.ORGANIZATIONS_EVENT_NAMES
        eventName = [
          "TagResource", "UntagResource", "MoveAccount", "CloseAccount", "CreateAccount", "AcceptHandshake",
          "RemoveAccountFromOrganization", "LeaveOrganization", "UpdateOrganizationalUnit", "CreateAccountResult",
        ]
      }
    }
    account = {
      source        = ["aws.account"]
      "detail-type" = ["Region Opt-In Status Change"]
    }
  }
}

data "aws_iam_policy_document" "organization_events_trust" {
  statement {
    sid     = "EventBridgeInTheManagementAccount"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.management_account_id]
    }
  }
}

data "aws_iam_policy_document" "organization_events" {
  statement {
    sid       = "ForwardToTheOrganizationEventsBus"
    actions   = ["events:PutEvents"]
    resources = [module.platform.organization_event_bus_arn]
  }
}

resource "aws_iam_role" "organization_events" {
  provider = aws.management

  name                 = "${var.name_prefix}-organization-events"
  description          = "orgops: EventBridge forwards Organizations and Account Management events to the operations account's organization events bus."
  assume_role_policy   = data.aws_iam_policy_document.organization_events_trust.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "organization_events" {
  provider = aws.management

  name   = "forward-organization-events"
  role   = aws_iam_role.organization_events.id
  policy = data.aws_iam_policy_document.organization_events.json
}

resource "aws_cloudwatch_event_rule" "organization_events" {
  provider = aws.management
  for_each = local.organization_event_patterns

  region        = "us-east-1"
  name          = "${var.name_prefix}-organization-events-${each.key}"
  description   = "orgops: forward ${each.key} events to the organization inventory in the operations account."
  event_pattern = jsonencode(each.value)
}

resource "aws_cloudwatch_event_target" "organization_events" {
  provider = aws.management
  for_each = local.organization_event_patterns

  region    = "us-east-1"
  rule      = aws_cloudwatch_event_rule.organization_events[each.key].name
  target_id = "organization-events-bus"
  arn       = module.platform.organization_event_bus_arn
  role_arn  = aws_iam_role.organization_events.arn
}

# Every run as a data set: Athena tables over dataset/ (rows per operation, statuses, summaries),
# generated from the manifest, with partition projection, and a workgroup with a scan limit.
module "dataset" {
  source = "../dataset"

  name_prefix                    = var.name_prefix
  manifest_path                  = local.manifest_path
  operations                     = toset(keys(var.operations))
  data_bucket_name               = module.platform.data_bucket_name
  kms_key_arn                    = module.platform.kms_key_arn
  bytes_scanned_cutoff_per_query = var.athena_bytes_scanned_cutoff_per_query
  history_days                   = var.expiration_days.dataset
}
