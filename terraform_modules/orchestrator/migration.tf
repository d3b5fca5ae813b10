# Migration step: the warehouse schema (terraform_modules/itc_data_warehouse/sql_scripts, shipped
# inside the orchestrator package) is applied by the migrate function, mode `migrate`: numbered,
# forward-only scripts, each recorded with its checksum, so a re-run is a no-op and an edited
# applied script fails.
#
# With run_migrations_on_apply = true, `terraform apply` invokes it once on create and again
# whenever the code or layer zip changes (the triggers). A failing migration returns a function
# error, which fails the apply loudly rather than leaving a half-migrated warehouse unnoticed.
# Set it to false to run the same step by hand after apply (see README.md).
resource "aws_lambda_invocation" "migrate" {
  count = var.run_migrations_on_apply ? 1 : 0

  function_name = module.migrate.function_name
  input         = jsonencode({ mode = "migrate", run_id = "terraform-apply" })

  triggers = {
    code  = module.migrate.function_source_code_hash
    layer = module.orchestrator.layer_source_code_hash
  }
}
