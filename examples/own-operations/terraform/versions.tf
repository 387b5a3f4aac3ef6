terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
  }

  # Remote state, recommended (S3 native locking needs Terraform >= 1.10). Copy, fill in, uncomment:
  # backend "s3" {
  #   bucket       = "my-terraform-state-111111111111"
  #   key          = "acme-orgops/terraform.tfstate"
  #   region       = "us-east-1"
  #   encrypt      = true
  #   use_lockfile = true
  # }
}
