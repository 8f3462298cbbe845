# A custom key store stack: a CloudHSM cluster, the custom key store on it, a KMS key in the
# store with its key policy and grants, the store administrator role (module store-admin)
# and a service control policy that keeps everyone else away from the store.

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

variable "subnet_ids" {
  description = "Private subnets, in two availability zones, for the HSMs."
  type        = list(string)
  default     = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
}

variable "kmsuser_password" {
  description = "Password of the kmsuser crypto user in the cluster."
  type        = string
  sensitive   = true
}

variable "organization_account_id" {
  description = "The member account the store lives in."
  type        = string
  default     = "111122223333"
}

data "aws_caller_identity" "current" {}

module "store_admin" {
  source = "./modules/store-admin"

  role_name          = "cks-store-admin"
  trusted_principals = ["arn:aws:iam::111122223333:role/Admin"]
}

resource "aws_cloudhsm_v2_cluster" "cks" {
  hsm_type   = "hsm1.medium"
  subnet_ids = var.subnet_ids
}

resource "aws_cloudhsm_v2_hsm" "hsm" {
  count      = 2
  cluster_id = aws_cloudhsm_v2_cluster.cks.cluster_id
  subnet_id  = var.subnet_ids[count.index]
}

resource "aws_kms_custom_key_store" "payments" {
  custom_key_store_name    = "payments-cks"
  cloud_hsm_cluster_id     = aws_cloudhsm_v2_cluster.cks.cluster_id
  key_store_password       = var.kmsuser_password
  trust_anchor_certificate = file("${path.module}/customerCA.crt")
}

data "aws_iam_policy_document" "payments_key" {
  statement {
    sid       = "KeyAdministration"
    actions   = ["kms:Describe*", "kms:Get*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Enable*", "kms:Disable*", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:role/kms-key-manager"]
    }
  }
  statement {
    sid       = "KeyUse"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:role/payments-app"]
    }
  }
}

resource "aws_kms_key" "payments" {
  description         = "payments data key in the payments-cks custom key store"
  custom_key_store_id = aws_kms_custom_key_store.payments.id
  policy              = data.aws_iam_policy_document.payments_key.json
}

resource "aws_kms_grant" "apps" {
  for_each          = toset(["ledger-app", "payments-app"])
  name              = "${each.key}-data-key"
  key_id            = aws_kms_key.payments.key_id
  grantee_principal = "arn:aws:iam::111122223333:role/${each.key}"
  operations        = ["Encrypt", "Decrypt", "GenerateDataKey"]
  constraints {
    encryption_context_equals = {
      application = each.key
    }
  }
}

resource "aws_organizations_policy" "protect_cks" {
  name        = "protect-custom-key-stores"
  description = "Only the store administrator changes custom key stores and the CloudHSM cluster."
  type        = "SERVICE_CONTROL_POLICY"
  content = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "DenyStoreChangesButStoreAdmin"
      Effect   = "Deny"
      Action   = ["kms:CreateCustomKeyStore", "kms:UpdateCustomKeyStore", "kms:DeleteCustomKeyStore", "kms:ConnectCustomKeyStore", "kms:DisconnectCustomKeyStore", "cloudhsm:DeleteCluster", "cloudhsm:DeleteHsm"]
      Resource = "*"
      Condition = {
        ArnNotLike = { "aws:PrincipalArn" = "arn:aws:iam::*:role/cks-store-admin" }
      }
    }]
  })
}

resource "aws_organizations_policy_attachment" "protect_cks" {
  policy_id = aws_organizations_policy.protect_cks.id
  target_id = var.organization_account_id
}
