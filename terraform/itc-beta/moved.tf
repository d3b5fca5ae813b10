# State addresses of the resources that left the orchestrator module (issue 12): the landing
# bucket and its access-log bucket are the landing_bucket module, the orchestration key is
# composed here. Nothing is replaced; `terraform plan` shows these as moves only.
moved {
  from = module.orchestrator.module.kms
  to   = module.orchestration_key
}

moved {
  from = module.orchestrator.aws_s3_bucket.landing
  to   = module.landing_bucket.aws_s3_bucket.this
}

moved {
  from = module.orchestrator.aws_s3_bucket_ownership_controls.landing
  to   = module.landing_bucket.aws_s3_bucket_ownership_controls.this
}

moved {
  from = module.orchestrator.aws_s3_bucket_public_access_block.landing
  to   = module.landing_bucket.aws_s3_bucket_public_access_block.this
}

moved {
  from = module.orchestrator.aws_s3_bucket_versioning.landing
  to   = module.landing_bucket.aws_s3_bucket_versioning.this
}

moved {
  from = module.orchestrator.aws_s3_bucket_server_side_encryption_configuration.landing
  to   = module.landing_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = module.orchestrator.aws_s3_bucket_lifecycle_configuration.landing
  to   = module.landing_bucket.aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = module.orchestrator.aws_s3_bucket_logging.landing
  to   = module.landing_bucket.aws_s3_bucket_logging.this
}

moved {
  from = module.orchestrator.aws_s3_bucket_notification.landing
  to   = module.landing_bucket.aws_s3_bucket_notification.this
}

moved {
  from = module.orchestrator.aws_s3_bucket_policy.landing
  to   = module.landing_bucket.aws_s3_bucket_policy.this
}

moved {
  from = module.orchestrator.aws_s3_bucket.access_logs
  to   = module.landing_bucket.aws_s3_bucket.access_logs
}

moved {
  from = module.orchestrator.aws_s3_bucket_ownership_controls.access_logs
  to   = module.landing_bucket.aws_s3_bucket_ownership_controls.access_logs
}

moved {
  from = module.orchestrator.aws_s3_bucket_public_access_block.access_logs
  to   = module.landing_bucket.aws_s3_bucket_public_access_block.access_logs
}

moved {
  from = module.orchestrator.aws_s3_bucket_versioning.access_logs
  to   = module.landing_bucket.aws_s3_bucket_versioning.access_logs
}

moved {
  from = module.orchestrator.aws_s3_bucket_server_side_encryption_configuration.access_logs
  to   = module.landing_bucket.aws_s3_bucket_server_side_encryption_configuration.access_logs
}

moved {
  from = module.orchestrator.aws_s3_bucket_lifecycle_configuration.access_logs
  to   = module.landing_bucket.aws_s3_bucket_lifecycle_configuration.access_logs
}

moved {
  from = module.orchestrator.aws_s3_bucket_notification.access_logs
  to   = module.landing_bucket.aws_s3_bucket_notification.access_logs
}

moved {
  from = module.orchestrator.aws_s3_bucket_policy.access_logs
  to   = module.landing_bucket.aws_s3_bucket_policy.access_logs
}
