"""Generated configs, good and bad, and what an accepted one must hold against Kubernetes' and the clouds' rules:
shared by the fuzz test (tests/unit/config/test_fuzz.py), its figures (bench/config_fuzz.py) and the program's
property test (tests/program/test_any_stack.py)."""

from __future__ import annotations

import json
import re
from typing import Any

import kubernetes_validate
from hypothesis import strategies as st

from components.config import Settings, values
from components.cvm.workspaces import objects, resolve
from components.kube import units

# Strings that break naive checks: blanks, trailing newlines, non-ASCII digits and letters, very long ones.
NASTY = st.sampled_from(
    ["", " ", "a\n", "ab\n", "\u0661\u0662", "\uff14Gi", "é", "x" * 300, "UPPER", "a_b", "-a", "a-", "1.3"]
)
TEXT = st.one_of(NASTY, st.text(max_size=20), st.from_regex(r"[a-z][-a-z0-9]{0,12}", fullmatch=True))
SCALAR = st.one_of(TEXT, st.integers(-(2**40), 2**40), st.booleans(), st.none(), st.floats(allow_nan=False))
VALUE = st.recursive(
    SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=4
)
QUANTITY = st.one_of(
    TEXT, st.from_regex(r"[0-9]{1,25}(\.[0-9]{1,3})?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?", fullmatch=True)
)
WORKSPACE = st.fixed_dictionaries(
    {"name": TEXT, "image": st.sampled_from(["ghcr.io/acme/ws:1", "ubuntu", "UPPER/x:1", "a:latest\n"])},
    optional={
        "runtime": st.sampled_from(["envbox", "sysbox-runc", "kata"]),
        "cpus": st.one_of(st.integers(-5, 10**6), TEXT),
        "memory": QUANTITY,
        "disk": QUANTITY,
        "gpus": st.integers(-1, 100),
        "username": TEXT,
    },
)
SECTIONS = {
    "gke": st.fixed_dictionaries(
        {}, optional={"location": TEXT, "project": TEXT, "machineType": TEXT, "nodeCount": st.integers(-1, 10**5)}
    ),
    "aks": st.fixed_dictionaries(
        {}, optional={"location": TEXT, "resourceGroupName": TEXT, "vmSize": TEXT, "nodeCount": st.integers(-1, 10**5)}
    ),
    "eks": st.fixed_dictionaries(
        {},
        optional={"region": TEXT, "instanceType": TEXT, "desiredSize": st.integers(-1, 10**5), "ubuntuVersion": TEXT},
    ),
    "baremetal": st.fixed_dictionaries({}, optional={"context": TEXT, "nodes": st.lists(TEXT, max_size=3)}),
}
CONFIG = st.fixed_dictionaries(
    {"platform": st.sampled_from(["gke", "aks", "eks", "baremetal", "kind", ""])},
    optional={
        "kubernetesVersion": st.one_of(TEXT, st.sampled_from(["1.35", "1.34", "1.3", "v1.35", "1.35\n"])),
        "clusterName": TEXT,
        **SECTIONS,
        "supervisor": st.fixed_dictionaries(
            {},
            optional={
                "namespace": st.one_of(TEXT, st.sampled_from(["kube-system", "default", "kube-x"])),
                "storageClass": TEXT,
                "coderUrl": st.one_of(TEXT, st.just("https://coder.example.com")),
                "workspaces": st.lists(WORKSPACE, max_size=3),
            },
        ),
        "sysbox": st.fixed_dictionaries({}, optional={"enabled": st.booleans(), "version": TEXT}),
        "gpu": st.fixed_dictionaries({}, optional={"enabled": st.booleans(), "vendor": TEXT}),
        "junk": VALUE,
    },
)
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def assert_kubernetes_accepts(accepted: Settings) -> None:
    """What an accepted config derives holds against Kubernetes' own rules."""
    supervisor = accepted.supervisor
    assert DNS_LABEL.fullmatch(supervisor.namespace) and not supervisor.namespace.startswith("kube-")
    for entry, workspace in enumerate(supervisor.workspaces):
        resolved = resolve.workspace(workspace, supervisor, kubernetes_minor=accepted.kubernetes_minor, entry=entry)
        deployment = objects.workload(resolved)
        assert DNS_LABEL.fullmatch(deployment["metadata"]["name"])
        assert DNS_LABEL.fullmatch(resolved.namespace)
        assert resolved.storage.claim is not None and DNS_LABEL.fullmatch(resolved.storage.claim)
        for amount in (workspace.memory, workspace.disk):
            assert amount.isascii() and (units.quantity(amount) or 0) >= 1
        assert 1 <= workspace.cpus <= 256 and 0 <= workspace.gpus <= 16
    if accepted.gke is not None:
        assert accepted.gke.location.isascii() and accepted.gke.location.strip() == accepted.gke.location


# etcd's request limit (--max-request-bytes, 1.5 MiB, etcd.io "System limits"), which every write of an object goes
# through; the object must leave room for its managed fields and status.
ETCD_REQUEST_BYTES = 1536 * 1024
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")


def assert_object_accepted(manifest: dict[str, Any], minor: str) -> None:
    """What the API server of `minor` checks of an object before it stores it: its schema, strictly (unknown
    fields fail; kubernetes-validate), its name and namespace, its labels' values, its size."""
    try:
        kubernetes_validate.validate(manifest, minor, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = "/".join(str(p) for p in error.path)
        raise AssertionError(f"{manifest['kind']} invalid for {minor} at {path}: {error.message}") from None
    metadata = manifest["metadata"]
    name = metadata["name"]
    assert values.dns_subdomain(name), name
    namespace = metadata.get("namespace")
    assert namespace is None or (DNS_LABEL.fullmatch(namespace) and len(namespace) <= 63), namespace
    for value in metadata.get("labels", {}).values():
        assert len(value) <= 63 and LABEL_VALUE.fullmatch(value), value
    assert len(json.dumps(manifest).encode()) < ETCD_REQUEST_BYTES, name
