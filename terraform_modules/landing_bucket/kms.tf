# The landing bucket's own key: usable only by the pipeline roles, and only through S3 in this
# region (kms:ViaService); the account keeps administration (and PutKeyPolicy, to recover) but
# cannot grant use through IAM policies alone.
locals {
  break_glass_role_arns = var.break_glass_role_arn == null ? [] : [var.break_glass_role_arn]

  key_grants = [
    for g in [
      { sid = "LandingWritersThroughS3", principal_arns = distinct(concat(var.writer_role_arns, local.break_glass_role_arns)), actions = ["kms:GenerateDataKey", "kms:Decrypt"] },
      { sid = "LandingReadersThroughS3", principal_arns = distinct(var.reader_role_arns), actions = ["kms:Decrypt"] },
      { sid = "DynamoDbExportWritersThroughS3", principal_arns = distinct(var.export_writer_role_arns), actions = ["kms:GenerateDataKey", "kms:Decrypt"] },
    ] : merge(g, { via_service = "s3" }) if length(g.principal_arns) > 0
  ]
}

module "kms" {
  source = "../kms_key"

  name             = "${var.name_prefix}-landing"
  description      = "${var.name_prefix} landing bucket: PHI snapshots and manifests"
  principal_grants = local.key_grants

  tags = var.tags
}
