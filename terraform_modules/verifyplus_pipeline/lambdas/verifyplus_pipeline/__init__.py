"""ITC Verify+ pipeline: extract the Quickbase report to the landing bucket, load snapshots into raw.verifyplus."""
