# Every run of every deployed operation, queryable with Athena: a Glue database with one table per
# deployed operation's rows (rows_<operation>), and statuses and summaries, over the JSON Lines the
# report writes under dataset/ (orgops.dataset), partitioned by operation and run date with
# partition projection; a workgroup that enforces encrypted results and a per-query scan limit;
# and a least-privilege policy for the people who query it (output analyst_policy_json).

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  bucket_arn = "arn:${local.partition}:s3:::${var.data_bucket_name}"
  glue_arn   = "arn:${local.partition}:glue:${local.region}:${local.account_id}"
  # Athena's own catalog of Glue's databases (what the console and the drivers list).
  data_catalog_arn = "arn:${local.partition}:athena:${local.region}:${local.account_id}:datacatalog/AwsDataCatalog"
}

resource "aws_glue_catalog_database" "this" {
  name        = local.database
  description = "orgops: every run's rows (rows_<operation>), target statuses and summaries, from s3://${var.data_bucket_name}/${local.data_prefix}"
  tags        = var.tags
}

resource "aws_glue_catalog_table" "this" {
  for_each = local.tables

  name          = each.key
  database_name = aws_glue_catalog_database.this.name
  description   = each.value.kind == "rows" ? "orgops: the rows of every ${trimprefix(each.key, "rows_")} run (its report's columns, typed)" : "orgops: the ${each.value.kind} of every run"
  table_type    = "EXTERNAL_TABLE"
  parameters    = each.value.parameters

  storage_descriptor {
    location      = each.value.location
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

    # Athena's Hive JSON SerDe: one JSON object per line; timestamps as YYYY-MM-DD HH:MM:SS.fff.
    ser_de_info {
      name                  = "json"
      serialization_library = "org.apache.hive.hcatalog.data.JsonSerDe"
    }

    dynamic "columns" {
      for_each = each.value.columns

      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }

  dynamic "partition_keys" {
    for_each = each.value.partition_keys

    content {
      name = partition_keys.value.name
      type = partition_keys.value.type
    }
  }
}

resource "aws_athena_workgroup" "this" {
  name        = local.workgroup
  description = "orgops: queries over the runs' data set (database ${local.database}); results encrypted under s3://${var.data_bucket_name}/${local.results_prefix}"
  tags        = var.tags

  configuration {
    # Queries use these settings whatever the client asks (results location, encryption, limit).
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location       = "s3://${var.data_bucket_name}/${local.results_prefix}"
      expected_bucket_owner = local.account_id

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }
}

# --- Who may query: attach analyst_policy_json to the analysts' role or group -------------------

data "aws_iam_policy_document" "analyst" {
  statement {
    sid = "QueryInTheWorkgroup"
    actions = [
      "athena:BatchGetQueryExecution",
      "athena:GetQueryExecution",
      "athena:GetQueryResults",
      "athena:GetQueryRuntimeStatistics",
      "athena:GetWorkGroup",
      "athena:ListQueryExecutions",
      "athena:StartQueryExecution",
      "athena:StopQueryExecution",
    ]
    resources = [aws_athena_workgroup.this.arn]
  }

  # Athena's metadata calls (the console's table list, JDBC/ODBC drivers).
  statement {
    sid       = "ReadAthenasCatalog"
    actions   = ["athena:GetDatabase", "athena:GetDataCatalog", "athena:GetTableMetadata", "athena:ListDatabases", "athena:ListTableMetadata"]
    resources = [local.data_catalog_arn]
  }

  # The tables' definitions. No glue:GetPartition(s): with partition projection Athena computes the
  # partitions instead of reading them from Glue.
  statement {
    sid       = "ReadTheTables"
    actions   = ["glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables"]
    resources = ["${local.glue_arn}:catalog", "${local.glue_arn}:database/${local.database}", "${local.glue_arn}:table/${local.database}/*"]
  }

  statement {
    sid       = "FindTheBucket"
    actions   = ["s3:GetBucketLocation"]
    resources = [local.bucket_arn]
  }

  # Listing only the data set's and the results' prefixes.
  statement {
    sid       = "ListTheDataSetAndResults"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.data_prefix}*", "${local.results_prefix}*"]
    }
  }

  statement {
    sid       = "ReadTheDataSet"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arn}/${local.data_prefix}*"]
  }

  # Athena writes a query's results with the caller's permissions, and the caller reads them back.
  statement {
    sid       = "ReadAndWriteQueryResults"
    actions   = ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"]
    resources = ["${local.bucket_arn}/${local.results_prefix}*"]
  }

  # The data set and the results are SSE-KMS objects of the platform key: through S3 only.
  statement {
    sid       = "UseTheDataKeyThroughS3"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }
}
