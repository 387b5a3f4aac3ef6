variable "name_prefix" {
  type        = string
  description = "Prefix of the resource names: the Glue database is <name_prefix> with underscores for hyphens (unless database_name is set), the workgroup <name_prefix>."
  default     = "orgops"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "database_name" {
  type        = string
  description = "Name of the Glue database; null: name_prefix with underscores for hyphens (orgops)."
  default     = null

  validation {
    condition     = var.database_name == null || can(regex("^[a-z_][a-z0-9_]{0,254}$", coalesce(var.database_name, "x")))
    error_message = "database_name must be lowercase letters, digits and underscores (Glue's and Athena's rule), at most 255."
  }
}

variable "manifest_path" {
  type        = string
  description = "The operation manifest build.py writes (dist/operations.json): its dataset section defines every table and its columns' types."

  validation {
    condition     = can(jsondecode(file(var.manifest_path)).dataset.tables)
    error_message = "manifest_path must be the operations.json that `make package` (build.py) writes next to dist/orgops.zip, of an orgops that writes the data set: run make package."
  }

  # The tables' locations and the analyst policy are written for this prefix and these keys.
  validation {
    condition     = try(jsondecode(file(var.manifest_path)).dataset.prefix == "dataset/", false)
    error_message = "manifest_path: the data set is not under dataset/, where this module's tables and policy read it: use the modules/dataset of the same orgops as build.py."
  }

  validation {
    condition     = try([for k in jsondecode(file(var.manifest_path)).dataset.partition_keys : k.name] == ["operation", "run_date"], false)
    error_message = "manifest_path: the data set's partition keys are not (operation, run_date), which this module projects: use the modules/dataset of the same orgops as build.py."
  }
}

variable "operations" {
  type        = set(string)
  description = "The deployed operations (the keys of the root's operations map): each gets its rows_<operation> table; statuses and summaries cover them all."

  validation {
    condition     = alltrue([for op in var.operations : can(regex("^[a-z][a-z0-9-]{1,40}$", op))])
    error_message = "Operation names are lowercase letters, digits and hyphens (as in `orgops list`)."
  }
}

variable "data_bucket_name" {
  type        = string
  description = "Name of the data bucket (modules/platform): the tables read dataset/, Athena writes its results under athena-results/."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.data_bucket_name))
    error_message = "data_bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the platform's KMS key (modules/platform): the data bucket's objects are encrypted with it, and so are Athena's results (SSE_KMS)."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:region:account:key/id)."
  }
}

variable "bytes_scanned_cutoff_per_query" {
  type        = number
  description = "Bytes one query of the workgroup may scan before Athena cancels it (the workgroup's data usage control; AWS's minimum is 10 MB, 10485760). Default 10 GiB."
  default     = 10737418240

  validation {
    condition     = var.bytes_scanned_cutoff_per_query >= 10485760 && floor(var.bytes_scanned_cutoff_per_query) == var.bytes_scanned_cutoff_per_query
    error_message = "bytes_scanned_cutoff_per_query must be a whole number of bytes, at least 10485760 (10 MB, Athena's minimum per-query limit)."
  }
}

variable "history_days" {
  type        = number
  description = "Days of runs the tables project (partition projection of run_date: NOW-<history_days>DAYS to NOW, UTC). Keep it at least the data bucket's expiry of dataset/, so every stored run is in the tables."
  default     = 730

  validation {
    condition     = var.history_days >= 1 && var.history_days <= 3650 && floor(var.history_days) == var.history_days
    error_message = "history_days must be a whole number of days between 1 and 3650."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags for the database and the workgroup."
  default     = {}
}
