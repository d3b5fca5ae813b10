# The HMAC keys of the environment (docs/CONTRACTS.md "Signed manifests"; module README
# terraform_modules/kms_key). Each key policy names its users, so IAM policies alone grant nobody a use
# (the account keeps administration only). An HMAC key has no automatic rotation: replacing one means a
# new key here; snapshots are verified when loaded, so only a replay of an older snapshot would need the
# old key kept (scheduled for deletion after the replay window at the earliest).

# One manifest key per source: a source's extract role may only GenerateMac with it and its load role
# only VerifyMac, so the internet-facing Verify+ extract cannot sign a demand manifest (nor the reverse).
# Each function gets its own source's key as ITC_MANIFEST_MAC_KEY_ID.
module "manifest_mac_key" {
  source   = "../../terraform_modules/kms_key"
  for_each = local.pipeline_roles

  name        = "${local.name_prefix}-${each.key}-manifest-mac"
  description = "${local.name_prefix}: signs ${each.key} snapshot manifests (HMAC); ${each.key} extract GenerateMac, ${each.key} load VerifyMac"
  key_spec    = "HMAC_256"
  principal_grants = [
    { sid = "ExtractSignsManifests", principal_arns = [each.value.extract_role_arn], actions = ["kms:GenerateMac"] },
    { sid = "LoadVerifiesManifests", principal_arns = [each.value.load_role_arn], actions = ["kms:VerifyMac"] },
  ]

  tags = local.tags
}

# Force approvals (README.md "Break glass and forced loads"): a forced load needs an approval MAC'd with this
# key, which only the break-glass role may sign (`itc approve-force`) and only the two load roles may
# verify (ITC_FORCE_APPROVAL_KEY_ID). Without break-glass principals (break_glass.tf) nobody can sign,
# so no load can be forced.
module "force_approval_key" {
  source = "../../terraform_modules/kms_key"

  name        = "${local.name_prefix}-force-approval"
  description = "${local.name_prefix}: signs force approvals (HMAC); break-glass GenerateMac, loads VerifyMac"
  key_spec    = "HMAC_256"
  principal_grants = concat(
    [for arn in local.break_glass_role_arns : { sid = "BreakGlassSignsApprovals", principal_arns = [arn], actions = ["kms:GenerateMac"] }],
    [{ sid = "LoadsVerifyApprovals", principal_arns = [for p in values(local.pipeline_roles) : p.load_role_arn], actions = ["kms:VerifyMac"] }],
  )

  tags = local.tags
}
