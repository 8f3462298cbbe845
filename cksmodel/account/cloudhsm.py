"""CloudHSM: the clusters behind custom key stores, from ``aws cloudhsmv2 describe-clusters``.

Only what store questions need: each cluster's state and its HSMs'
availability zones and states (a store connects, and a key can be created in
it, only with two ACTIVE HSMs in different availability zones).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cksmodel.account.files import read_file
from cksmodel.account.model import Cluster


def read_clusters(root: Path, warn: Callable[[str], None]) -> tuple[Cluster, ...] | None:
    """The clusters of ``cloudhsm/clusters.json`` by id, or None (with a warning) if missing."""
    path = root / "cloudhsm" / "clusters.json"
    if not path.exists():
        warn(
            f"{path} is missing: the CloudHSM clusters and their HSMs are unknown, so "
            "whether a store can connect or a key can be created in a store (two ACTIVE "
            "HSMs in different availability zones) cannot be decided"
        )
        return None
    doc = read_file(path)
    top = doc.root_obj("the output of `aws cloudhsmv2 describe-clusters`")
    out: dict[str, Cluster] = {}
    for _, entry in doc.objects(top, "Clusters", "the describe-clusters output"):
        cluster_id = doc.text(entry, "ClusterId", "a cluster")
        if cluster_id in out:
            raise doc.fail(f"cluster {cluster_id} is listed twice", entry, "ClusterId")
        hsms = tuple(
            (
                doc.text(hsm, "AvailabilityZone", f"an HSM of cluster {cluster_id}"),
                doc.text(hsm, "State", f"an HSM of cluster {cluster_id}"),
            )
            for _, hsm in doc.objects(entry, "Hsms", f"cluster {cluster_id}", required=False)
        )
        out[cluster_id] = Cluster(
            id=cluster_id,
            state=doc.text(entry, "State", f"cluster {cluster_id}"),
            hsms=tuple(sorted(hsms)),
        )
    return tuple(sorted(out.values(), key=lambda c: c.id))
