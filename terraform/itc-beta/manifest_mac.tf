# The HMAC key that signs every landing snapshot's manifest (docs/CONTRACTS.md "Signed manifests"): the
# extract functions may only GenerateMac, the load functions may only VerifyMac (their own IAM policies
# say the same, terraform_modules/<pipeline>/iam.tf); the account keeps administration only, so no other
# principal of the account can sign a manifest. An HMAC key has no automatic rotation: replacing it
# means a new key here; snapshots are verified when loaded, so only a replay of an older snapshot would
# need the old key kept (scheduled for deletion after the replay window at the earliest).
module "manifest_mac_key" {
  source = "../../terraform_modules/kms_key"

  name        = "${local.name_prefix}-manifest-mac"
  description = "${local.name_prefix}: signs landing snapshot manifests (HMAC); extract GenerateMac, load VerifyMac"
  key_spec    = "HMAC_256"
  principal_grants = [
    { sid = "ExtractSignsManifests", principal_arns = local.landing_writer_role_arns, actions = ["kms:GenerateMac"] },
    { sid = "LoadVerifiesManifests", principal_arns = local.landing_reader_role_arns, actions = ["kms:VerifyMac"] },
  ]

  tags = local.tags
}
