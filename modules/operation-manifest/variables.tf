variable "manifest_path" {
  type        = string
  description = "The operation manifest build.py writes (dist/operations.json): each operation's role and IAM actions."

  validation {
    condition     = can(jsondecode(file(var.manifest_path)).operations)
    error_message = "manifest_path must be the operations.json that `make package` (build.py) writes next to dist/orgops.zip: run make package."
  }
}

variable "operations" {
  type        = set(string)
  description = "The deployed operations (the keys of the root's operations map)."
}
