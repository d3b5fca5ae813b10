# TLS is mandatory and every DDL, role change and write is audited by pgAudit, as is every read of
# PHI (object auditing, pgaudit.role); the statement logs are exported to CloudWatch (see itc_rds.tf).
resource "aws_db_parameter_group" "this" {
  name_prefix = "${var.name_prefix}-pg16-"
  family      = "postgres16"
  description = "${var.name_prefix} warehouse: force SSL, pgAudit, statement logging"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name         = "shared_preload_libraries"
    value        = "pg_stat_statements,pgaudit"
    apply_method = "pending-reboot"
  }

  parameter {
    name  = "pgaudit.log"
    value = var.pgaudit_log_classes
  }

  parameter {
    name  = "pgaudit.log_parameter"
    value = "0"
  }

  # Object auditing of PHI reads: itc_auditor (ops.apply_phi_audit_grants) holds SELECT on every PHI column and view
  # over one, so each such read is logged as AUDIT OBJECT; reads of anything else are not.
  parameter {
    name  = "pgaudit.role"
    value = "itc_auditor"
  }

  parameter {
    name  = "log_connections"
    value = "1"
  }

  parameter {
    name  = "log_disconnections"
    value = "1"
  }

  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = tostring(var.log_min_duration_statement_ms)
  }

  # Slow-statement logs must not carry bind values (PHI): log the statement text only.
  parameter {
    name  = "log_parameter_max_length"
    value = "0"
  }

  parameter {
    name  = "log_parameter_max_length_on_error"
    value = "0"
  }

  parameter {
    name  = "timezone"
    value = "UTC"
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}
