# Route "ssm": a minimal private instance that only relays Session Manager port-forwarding sessions
# to the warehouse. No inbound rule, no public address, no key pair, no user data; IMDSv2 only with
# a hop limit of 1 (a container or a forwarded packet cannot reach the role's credentials); an
# encrypted root volume under the module's key.
data "aws_ssm_parameter" "ami" {
  count = local.ssm ? 1 : 0

  name = var.ami_ssm_parameter_name
}

resource "aws_iam_role" "instance" {
  count = local.ssm ? 1 : 0

  name        = "${var.name_prefix}-analyst-bastion"
  description = "Port-forwarding instance of the analysts' route: Session Manager agent only"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "Ec2InThisAccount"
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })

  tags = var.tags
}

# What AmazonSSMManagedInstanceCore grants that Session Manager uses, and no more: the agent's
# registration (this account's instances), its message channels, session logging to the one log
# group, and decrypting session data with the module's key. No inventory, patching, parameters,
# documents or S3.
resource "aws_iam_role_policy" "instance" {
  count = local.ssm ? 1 : 0

  #checkov:skip=CKV_AWS_290:ssmmessages:* and ec2messages:* channel actions have no resource type in IAM; Resource "*" is the only form AWS accepts, and this role exists on one instance only.
  #checkov:skip=CKV_AWS_355:Same: the Session Manager channel actions (ssmmessages, ec2messages) cannot be scoped to a resource.
  name = "session-manager-agent"
  role = aws_iam_role.instance[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "RegisterThisAccountsInstances"
        Effect   = "Allow"
        Action   = ["ssm:UpdateInstanceInformation"]
        Resource = "arn:${local.partition}:ec2:${local.region}:${local.account_id}:instance/*"
      },
      {
        Sid    = "SessionChannels"
        Effect = "Allow"
        Action = [
          "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
          "ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage",
          "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply",
        ]
        Resource = "*"
      },
      {
        Sid      = "CheckTheSessionLogGroupIsEncrypted"
        Effect   = "Allow"
        Action   = ["logs:DescribeLogGroups"]
        Resource = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"
      },
      {
        Sid      = "WriteSessionLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
        Resource = "${aws_cloudwatch_log_group.sessions[0].arn}:*"
      },
      {
        Sid      = "DecryptSessionData"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = module.kms.key_arn
      },
    ]
  })
}

resource "aws_iam_instance_profile" "this" {
  count = local.ssm ? 1 : 0

  name = "${var.name_prefix}-analyst-bastion"
  role = aws_iam_role.instance[0].name

  tags = var.tags
}

resource "aws_instance" "this" {
  count = local.ssm ? 1 : 0

  #checkov:skip=CKV_AWS_126:Basic (5-minute) monitoring is enough for a relay that holds no data; detailed monitoring adds cost and nothing the alarms use.

  ami                         = nonsensitive(data.aws_ssm_parameter.ami[0].value)
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_ids[0]
  vpc_security_group_ids      = [aws_security_group.this.id]
  iam_instance_profile        = aws_iam_instance_profile.this[0].name
  associate_public_ip_address = false
  monitoring                  = false
  ebs_optimized               = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_size_gb
    encrypted             = true
    kms_key_id            = module.kms.key_arn
    delete_on_termination = true
  }

  tags        = merge(var.tags, { Name = "${var.name_prefix}-analyst-bastion" })
  volume_tags = merge(var.tags, { Name = "${var.name_prefix}-analyst-bastion" })

  lifecycle {
    # A newer AMI in the public parameter must not replace the instance under a running session;
    # roll it by `terraform apply -replace` in a maintenance window (README).
    ignore_changes = [ami]
  }
}
