"""ITC demand pipeline: extract the Exchange DynamoDB tables to S3 snapshots, load them into raw."""
