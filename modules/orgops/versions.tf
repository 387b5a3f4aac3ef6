terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0"
      # aws: the operations account; aws.management: the organization's management account;
      # aws.stack_sets: the StackSets delegated administrator (call_as = "DELEGATED_ADMIN"), or
      # the management account again. The calling root configures all three.
      configuration_aliases = [aws.management, aws.stack_sets]
    }
  }
}
