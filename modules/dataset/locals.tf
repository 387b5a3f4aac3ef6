# The tables, from the manifest alone (no provider): the dataset section build.py writes from
# orgops.dataset.tables(), the one definition of every table's columns and types (each
# operation's declared column_types). tests/terraform/test_dataset.py evaluates these locals with
# `terraform console` and reads the emulator's data set with them.

locals {
  manifest = jsondecode(file(var.manifest_path))
  dataset  = local.manifest.dataset
  deployed = sort(tolist(var.operations))

  database  = coalesce(var.database_name, replace(var.name_prefix, "-", "_"))
  workgroup = var.name_prefix
  # The data set's prefix in the data bucket (orgops.dataset.PREFIX; the manifest's, validated) and
  # Athena's query results, encrypted with the platform key (the workgroup enforces it).
  data_prefix    = "dataset/"
  results_prefix = "athena-results/"
  root           = "s3://${var.data_bucket_name}/${local.data_prefix}"

  # The deployed operations' rows tables, and statuses and summaries (every deployed operation's).
  selected = {
    for name, t in local.dataset.tables : name => t
    if t.operation == null ? length(local.deployed) > 0 : contains(local.deployed, t.operation)
  }
  # Deployed operations whose columns cannot be a Glue table (orgops.dataset.rows_table says why):
  # their rows stay in report.csv only.
  without_table = { for op, why in local.dataset.unavailable : op => why if contains(local.deployed, op) }

  tables = {
    for name, t in local.selected : name => {
      kind           = t.kind
      columns        = t.columns
      partition_keys = local.dataset.partition_keys
      location       = "${local.root}${t.kind}/"
      # Partition projection: Athena computes the partitions (no crawler, no MSCK REPAIR TABLE).
      parameters = {
        EXTERNAL                            = "TRUE"
        classification                      = "json"
        "projection.enabled"                = "true"
        "projection.operation.type"         = "enum"
        "projection.operation.values"       = join(",", t.operation == null ? local.deployed : [t.operation])
        "projection.run_date.type"          = "date"
        "projection.run_date.format"        = "yyyy-MM-dd"
        "projection.run_date.range"         = "NOW-${var.history_days}DAYS,NOW"
        "projection.run_date.interval"      = "1"
        "projection.run_date.interval.unit" = "DAYS"
        "storage.location.template"         = "${local.root}${t.kind}/operation=$${operation}/run_date=$${run_date}/"
      }
    }
  }
}
