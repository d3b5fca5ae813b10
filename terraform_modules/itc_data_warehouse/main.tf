# The ITC data warehouse: one private, encrypted, audited PostgreSQL 16 instance.
#
#   kms.tf              customer-managed key (storage, Performance Insights, master secret, logs)
#   parameters.tf       parameter group: rds.force_ssl=1, pgAudit, statement logging
#   security_groups.tf  the database group, the "client" group for Lambdas, the analysts' route
#   itc_rds.tf          subnet group, log groups, enhanced monitoring role, the instance
#
# The schema itself (sql_scripts/) is applied by the orchestrator Lambda's `migrate` mode;
# see README.md "Migrations".
