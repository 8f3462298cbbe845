# The custom key store administrator: a role that principals of the account assume with MFA,
# holding exactly the store manager's permissions.

variable "role_name" {
  type = string
}

variable "trusted_principals" {
  type = list(string)
}

resource "aws_iam_role" "this" {
  name = var.role_name
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AssumeWithMfa"
      Effect    = "Allow"
      Principal = { AWS = var.trusted_principals }
      Action    = "sts:AssumeRole"
      Condition = { Bool = { "aws:MultiFactorAuthPresent" = "true" } }
    }]
  })
}

resource "aws_iam_policy" "this" {
  name = var.role_name
  path = "/cks/"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ManageCustomKeyStores"
        Effect   = "Allow"
        Action   = ["cloudhsm:DescribeClusters", "kms:CreateCustomKeyStore", "kms:ConnectCustomKeyStore", "kms:DisconnectCustomKeyStore", "kms:UpdateCustomKeyStore", "kms:DeleteCustomKeyStore", "kms:DescribeCustomKeyStores"]
        Resource = "*"
      },
      {
        Sid      = "CreateTheStoreServiceLinkedRole"
        Effect   = "Allow"
        Action   = "iam:CreateServiceLinkedRole"
        Resource = "arn:aws:iam::*:role/aws-service-role/cks.kms.amazonaws.com/AWSServiceRoleForKeyManagementServiceCustomKeyStores"
        Condition = { StringEquals = { "iam:AWSServiceName" = "cks.kms.amazonaws.com" } }
      }
    ]
  })
}

resource "aws_iam_role_policy_attachment" "this" {
  role       = aws_iam_role.this.name
  policy_arn = aws_iam_policy.this.arn
}

output "role_arn" {
  value = aws_iam_role.this.arn
}
