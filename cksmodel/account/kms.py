"""KMS: custom key stores, keys, key policies and grants, as the AWS CLI prints them.

Reads ``kms/custom-key-stores.json`` (``aws kms describe-custom-key-stores``)
and each ``kms/keys/<key-id>/`` folder (``describe-key``, ``get-key-policy``,
``list-grants``), checking every key against the account, its region and the
stores listed. :class:`GrantReader` reads one ``list-grants`` entry, for the
bundle and for what-if grants alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cksmodel.account.files import file_start, missing_file, read_file
from cksmodel.account.model import BundleError, CustomKeyStore, Key
from cksmodel.errors import ScenarioError
from cksmodel.policy.ir import Grant, PolicyType

KEY_ID = re.compile(r"mrk-[0-9a-f]{32}|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")
"""A KMS key id: a UUID, or ``mrk-`` and 32 hex digits for a multi-Region key."""

STORE_STATES = ("CONNECTED", "CONNECTING", "DISCONNECTED", "DISCONNECTING", "FAILED")
"""Values of a custom key store's ``ConnectionState``."""


class GrantReader:
    """Reads grants as ``aws kms list-grants`` prints them.

    Delegates to the scenario reader, which already knows the grant shape;
    a public ``cksmodel.concrete.scenario`` function would let this go.
    """

    def __init__(self, source: str) -> None:
        from cksmodel.concrete.scenario import _Reader

        self._reader = _Reader(source)

    def grant(self, raw: Any, grants: Any, index: int) -> Grant:
        return self._reader.grant(raw, grants, index)


def read_stores(root: Path, warn: Callable[[str], None]) -> tuple[CustomKeyStore, ...] | None:
    """The custom key stores by id, or None (with a warning) if the bundle has no list."""
    path = root / "kms" / "custom-key-stores.json"
    if not path.exists():
        warn(
            f"{path} is missing: the custom key stores and their connection states are "
            "unknown, so keys' CustomKeyStoreId are not checked against them (the lifecycle "
            "invariants are about any store and do not need the list)"
        )
        return None
    doc = read_file(path)
    top = doc.root_obj("the output of `aws kms describe-custom-key-stores`")
    doc.not_truncated(top, "Truncated", "aws kms describe-custom-key-stores")
    out: dict[str, CustomKeyStore] = {}
    for _, entry in doc.objects(top, "CustomKeyStores", "the custom key store list"):
        store_id = doc.text(entry, "CustomKeyStoreId", "a custom key store")
        if store_id in out:
            raise doc.fail(f"custom key store {store_id} is listed twice", entry)
        state = doc.text(entry, "ConnectionState", f"custom key store {store_id}")
        if state not in STORE_STATES:
            raise doc.fail(
                f"ConnectionState must be one of {', '.join(STORE_STATES)}, not {state!r}",
                entry,
                "ConnectionState",
            )
        store_type = doc.opt_text(entry, "CustomKeyStoreType") or "AWS_CLOUDHSM"
        cluster = doc.opt_text(entry, "CloudHsmClusterId")
        if store_type == "AWS_CLOUDHSM" and cluster is None:
            raise doc.fail(
                f"custom key store {store_id} is of type AWS_CLOUDHSM but names no "
                "CloudHsmClusterId",
                entry,
            )
        out[store_id] = CustomKeyStore(
            id=store_id,
            name=doc.text(entry, "CustomKeyStoreName", f"custom key store {store_id}"),
            state=state,
            cluster_id=cluster,
            store_type=store_type,
            connection_error=doc.opt_text(entry, "ConnectionErrorCode"),
        )
    return tuple(sorted(out.values(), key=lambda s: s.id))


def read_keys(
    root: Path,
    warn: Callable[[str], None],
    account_id: str,
    regions: tuple[str, ...],
    stores: tuple[CustomKeyStore, ...] | None,
) -> tuple[Key, ...] | None:
    """The keys of ``kms/keys/`` sorted by ARN, or None (with a warning) when the bundle has no
    key folder; ``stores`` None leaves store ids unchecked. A folder whose name is not a key id
    is skipped with a warning, never silently."""
    keys_dir = root / "kms" / "keys"
    if not keys_dir.is_dir():
        warn(
            f"{keys_dir} is missing: which KMS keys exist is unknown, so invariants about keys "
            "(key policies, grants, keys in custom key stores) are UNKNOWN"
        )
        return None
    out = []
    store_ids = None if stores is None else {s.id for s in stores}
    for folder in sorted(keys_dir.iterdir()):
        if not KEY_ID.fullmatch(folder.name):
            warn(
                f"{folder} is skipped: its name is not a key id (a key folder is named after "
                "the KeyId, e.g. 1234abcd-12ab-34cd-56ef-1234567890ab or mrk-…)"
            )
            continue
        if not folder.is_dir():
            raise BundleError(
                f"{folder} is not a folder; kms/keys/ holds one folder per key, named "
                "after the key id",
                span=file_start(str(folder)),
            )
        out.append(_read_key(folder, warn, account_id, regions, store_ids))
    return tuple(sorted(out, key=lambda k: k.arn))


def _read_key(
    folder: Path,
    warn: Callable[[str], None],
    account_id: str,
    regions: tuple[str, ...],
    store_ids: set[str] | None,
) -> Key:
    describe_path = folder / "describe-key.json"
    if not describe_path.exists():
        raise missing_file(
            describe_path,
            f"every key folder needs the output of `aws kms describe-key --key-id {folder.name}`",
        )
    doc = read_file(describe_path)
    top = doc.root_obj("the output of `aws kms describe-key`")
    meta = doc.obj(top, "KeyMetadata", "the describe-key output")
    key_id = doc.text(meta, "KeyId", "KeyMetadata")
    if key_id != folder.name:
        raise doc.fail(
            f"KeyId {key_id!r} differs from the folder name {folder.name!r}; "
            "name each key folder after its key id",
            meta,
            "KeyId",
        )
    arn = doc.text(meta, "Arn", "KeyMetadata")
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "kms" or parts[5] != f"key/{key_id}":
        raise doc.fail(f"Arn {arn!r} is not the ARN of KMS key {key_id}", meta, "Arn")
    owner = doc.text(meta, "AWSAccountId", "KeyMetadata")
    if owner != account_id or parts[4] != account_id:
        raise doc.fail(
            f"key {key_id} belongs to account {owner}, but account.json says {account_id}",
            meta,
            "AWSAccountId",
        )
    region = parts[3]
    if regions and region not in regions:
        warn(f"key {key_id} is in region {region}, which account.json does not list in regions")
    store_id = doc.opt_text(meta, "CustomKeyStoreId")
    if store_id is not None and store_ids is not None and store_id not in store_ids:
        raise doc.fail(
            f"key {key_id} is in custom key store {store_id}, which "
            "kms/custom-key-stores.json does not list",
            meta,
            "CustomKeyStoreId",
        )
    key_spec = doc.opt_text(meta, "KeySpec") or doc.opt_text(meta, "CustomerMasterKeySpec")
    if key_spec is None:
        raise doc.fail(f"KeyMetadata of key {key_id} has no 'KeySpec'", meta)

    policy_path = folder / "key-policy.json"
    if not policy_path.exists():
        raise missing_file(
            policy_path,
            "every key folder needs the output of "
            f"`aws kms get-key-policy --key-id {key_id} --policy-name default`",
        )
    pdoc = read_file(policy_path)
    ptop = pdoc.root_obj("the output of `aws kms get-key-policy`")
    name = ptop.get("PolicyName", "default")
    if name != "default":
        raise pdoc.fail(
            f"PolicyName must be 'default' (the only key policy name), not {name!r}",
            ptop,
            "PolicyName",
        )
    policy = pdoc.policy(ptop, "Policy", PolicyType.KEY, f"key/{key_id}/key-policy")

    return Key(
        key_id=key_id,
        arn=arn,
        account=owner,
        region=region,
        policy=policy,
        grants=_read_grants(folder, warn, key_id, arn),
        custom_key_store_id=store_id,
        origin=doc.text(meta, "Origin", "KeyMetadata"),
        key_spec=key_spec,
        key_state=doc.text(meta, "KeyState", "KeyMetadata"),
        key_manager=doc.text(meta, "KeyManager", "KeyMetadata"),
    )


def _read_grants(
    folder: Path, warn: Callable[[str], None], key_id: str, arn: str
) -> tuple[Grant, ...]:
    path = folder / "grants.json"
    if not path.exists():
        warn(
            f"{path} is missing: key {key_id} is taken to have no grants; grants only add "
            "permissions, so PROVED results (nobody can ...) may not hold in reality, and "
            "REFUTED results (someone can ...) still hold"
        )
        return ()
    doc = read_file(path)
    top = doc.root_obj("the output of `aws kms list-grants`")
    doc.not_truncated(top, "Truncated", "aws kms list-grants")
    items = doc.items(top, "Grants", "the list-grants output")
    reader = GrantReader(doc.source)
    out = []
    for index, raw in enumerate(items):
        try:
            grant = reader.grant(raw, items, index)
        except ScenarioError as exc:
            raise BundleError(exc.message, span=exc.span) from None
        if grant.key_id not in (key_id, arn):
            raise doc.fail(
                f"grant {grant.grant_id or index} is for key {grant.key_id}, not for "
                f"{arn}; kms/keys/{key_id}/grants.json must hold only this key's grants",
                raw,
                "KeyId",
            )
        out.append(grant)
    return tuple(out)
