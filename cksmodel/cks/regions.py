"""Where custom key stores (and their service-linked role) exist: wherever both KMS and CloudHSM do.

The seed says the ``AWSServiceRoleForKeyManagementServiceCustomKeyStores`` role,
like the custom key store feature, "is supported in every AWS Region where both
AWS KMS and AWS CloudHSM are available", and points to two pages of the AWS
General Reference for the lists:

* "AWS Key Management Service endpoints and quotas" (``general/latest/gr/kms.html``)
* "AWS CloudHSM endpoints and quotas" (``general/latest/gr/cloudhsm.html``,
  endpoints ``cloudhsmv2.<region>.amazonaws.com``)

The sets below are those pages' service-endpoint tables (commercial and
AWS GovCloud (US) Regions), cross-checked region by region against the
machine-readable endpoint data AWS ships in botocore 1.43 (``endpoints.json``,
services ``kms`` and ``cloudhsmv2``, FIPS-only endpoints left out). KMS in the
China partition is listed from the same data; CloudHSM has no endpoint there.
The isolated partitions (``aws-iso*``) and the European Sovereign Cloud are left
out: neither page lists them. Regions are added over time: update both sets from
the same pages when a new Region opens.
"""

from __future__ import annotations

from typing import Final

KMS_REGIONS: Final[frozenset[str]] = frozenset(
    {
        # aws
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        # aws-us-gov
        "us-gov-east-1",
        "us-gov-west-1",
        # aws-cn
        "cn-north-1",
        "cn-northwest-1",
    }
)
"""Regions with an AWS KMS endpoint."""

CLOUDHSM_REGIONS: Final[frozenset[str]] = frozenset(
    {
        # aws (not ap-east-2 Taipei, not ap-southeast-4 Melbourne)
        "af-south-1",
        "ap-east-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        # aws-us-gov
        "us-gov-east-1",
        "us-gov-west-1",
    }
)
"""Regions with an AWS CloudHSM (``cloudhsmv2``) endpoint."""

CKS_REGIONS: Final[frozenset[str]] = KMS_REGIONS & CLOUDHSM_REGIONS
"""Regions where custom key stores and their service-linked role are supported."""


def supported(region: str) -> bool:
    """Can a custom key store exist in ``region`` (a code such as ``us-east-1``, any case)?"""
    return region.strip().lower() in CKS_REGIONS
