# Before modules/orgops, this root declared the deployment itself: a state from then holds
# module.platform, aws_iam_role.organization_events, ... at the top level. These blocks move each
# to module.orgops, so the first plan after upgrading moves them instead of destroying the table,
# the bucket and the key and creating new ones (tests/terraform/test_example_roots.py checks every
# module call and resource of modules/orgops has its block). Keep them: removing a moved block is
# a breaking change for a state not yet upgraded.

moved {
  from = module.manifest
  to   = module.orgops.module.manifest
}

moved {
  from = module.operator_roles
  to   = module.orgops.module.operator_roles
}

moved {
  from = module.member_roles
  to   = module.orgops.module.member_roles
}

moved {
  from = module.member_roles_stack_set
  to   = module.orgops.module.member_roles_stack_set
}

moved {
  from = module.platform
  to   = module.orgops.module.platform
}

moved {
  from = module.operation
  to   = module.orgops.module.operation
}

moved {
  from = module.observability
  to   = module.orgops.module.observability
}

moved {
  from = aws_lambda_layer_version.operations
  to   = module.orgops.aws_lambda_layer_version.operations
}

moved {
  from = aws_iam_role.organization_events
  to   = module.orgops.aws_iam_role.organization_events
}

moved {
  from = aws_iam_role_policy.organization_events
  to   = module.orgops.aws_iam_role_policy.organization_events
}

moved {
  from = aws_cloudwatch_event_rule.organization_events
  to   = module.orgops.aws_cloudwatch_event_rule.organization_events
}

moved {
  from = aws_cloudwatch_event_target.organization_events
  to   = module.orgops.aws_cloudwatch_event_target.organization_events
}

moved {
  from = terraform_data.limits
  to   = module.orgops.terraform_data.limits
}
