"""Where custom key stores exist: the Regions with both KMS and CloudHSM."""

from __future__ import annotations

import re

import pytest

from cksmodel.cks import regions
from cksmodel.cks.regions import CKS_REGIONS, CLOUDHSM_REGIONS, KMS_REGIONS, supported

REGION_CODE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


def test_custom_key_store_regions_are_the_intersection() -> None:
    assert CKS_REGIONS == KMS_REGIONS & CLOUDHSM_REGIONS
    assert CKS_REGIONS
    assert isinstance(CKS_REGIONS, frozenset)


def test_region_codes_are_well_formed() -> None:
    for region in KMS_REGIONS | CLOUDHSM_REGIONS:
        assert REGION_CODE.match(region), region


@pytest.mark.parametrize(
    "region",
    [
        "us-east-1",
        "us-east-2",
        "us-west-2",
        "eu-west-1",
        "eu-central-1",
        "ap-northeast-1",
        "ap-southeast-2",
        "sa-east-1",
        "us-gov-west-1",
    ],
)
def test_supported(region: str) -> None:
    assert region in KMS_REGIONS and region in CLOUDHSM_REGIONS
    assert supported(region)


@pytest.mark.parametrize(
    "region",
    [
        "cn-north-1",  # KMS yes, CloudHSM has no endpoint in the China partition
        "ap-southeast-4",  # Melbourne: KMS yes, CloudHSM no
        "mars-north-1",
        "",
        "us-east-1a",  # an Availability Zone, not a Region
    ],
)
def test_not_supported(region: str) -> None:
    assert not supported(region)


def test_kms_only_regions_are_not_supported() -> None:
    for region in KMS_REGIONS - CLOUDHSM_REGIONS:
        assert not supported(region)
    assert KMS_REGIONS - CLOUDHSM_REGIONS


def test_supported_ignores_case_and_surrounding_space() -> None:
    assert supported(" US-East-1 ")


def test_module_names_its_sources() -> None:
    doc = regions.__doc__ or ""
    assert "AWS Key Management Service endpoints and quotas" in doc
    assert "AWS CloudHSM endpoints and quotas" in doc
