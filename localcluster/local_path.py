"""The local node's storage: rancher's local-path-provisioner, so that a workspace's home claim binds as on a real
cluster (issue 25: without a provisioner a new home stayed Pending, and the tests made volumes by hand).

The provisioner (built by scripts/toolchain.sh from github.com/rancher/local-path-provisioner v0.0.30, the only
version the Go module proxy serves) runs as a host process with the admin kubeconfig. For each claim of the
`local-path` class, once its pod is scheduled (WaitForFirstConsumer), it runs a helper pod on that node that
makes the claim's folder under `Layout.data` (so stopping the node removes every volume), then a PersistentVolume
pinned to the node; deleting the claim runs a helper pod that removes the folder, then the volume.

The helper pods need an image with a shell, `mkdir` and `rm`: the node's `docker.io/cvm-e2e/hello:1`
(localcluster/images.py, busybox alone), its scripts calling busybox's applets by name. The objects below are
upstream's deploy/local-path-storage.yaml (v0.0.30), reduced to what a host process needs: no Deployment and no
RBAC (the admin kubeconfig), the `default` ServiceAccount for the helper pods (they call no API).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from localcluster.node_config import Layout

STORAGE_CLASS = "local-path"  # upstream's name, and the one examples/Pulumi.metal-lab.yaml names
PROVISIONER = "rancher.io/local-path"  # upstream's default provisioner name (main.go DefaultProvisionerName)
NAMESPACE = "local-path-storage"
CONFIG_MAP = "local-path-config"
# a helper pod runs `sh /script/setup` (or teardown) with VOL_DIR set (provisioner.go createHelperPod)
SETUP = '#!/bin/sh\nset -eu\nbusybox mkdir -m 0777 -p "$VOL_DIR"\n'
TEARDOWN = '#!/bin/sh\nset -eu\nbusybox rm -rf "$VOL_DIR"\n'


def data_dir(layout: Layout) -> Path:
    """Where the volumes live: under the node's data folder, which its stop removes whole."""
    return layout.data / "local-path"


def config_json(layout: Layout) -> str:
    """The provisioner's config (upstream's `config.json`): every node keeps its volumes in `data_dir`."""
    every_node = {"node": "DEFAULT_PATH_FOR_NON_LISTED_NODES", "paths": [str(data_dir(layout))]}
    return json.dumps({"nodePathMap": [every_node]})


def helper_pod(image: str) -> str:
    """The helper pod's template (upstream's `helperPod.yaml`); the provisioner adds the volumes and command."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "helper-pod"},
        "spec": {"containers": [{"name": "helper-pod", "image": image, "imagePullPolicy": "IfNotPresent"}]},
    }
    return yaml.safe_dump(pod)


def objects() -> list[dict[str, Any]]:
    """What the provisioner reads from the cluster: its namespace, its ConfigMap (the helper pods mount their
    scripts from it; its config and helper pod come from `files`) and the StorageClass, the cluster's default,
    so that a stack naming no class uses it."""
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": CONFIG_MAP, "namespace": NAMESPACE},
            "data": {"setup": SETUP, "teardown": TEARDOWN},
        },
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {
                "name": STORAGE_CLASS,
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            },
            "provisioner": PROVISIONER,
            # the provisioner makes the folder on the node the pod was scheduled to
            "volumeBindingMode": "WaitForFirstConsumer",
            "reclaimPolicy": "Delete",
        },
    ]


def command(binary: str, admin: Path, layout: Layout, image: str) -> list[str]:
    """The provisioner's command line; it names the node's folder (its config), so the node's process scan
    (and its stop) count it as the node's."""
    config = layout.run / "local-path" / "config.json"
    return [
        binary, "start", f"--config={config}", f"--provisioner-name={PROVISIONER}", f"--namespace={NAMESPACE}",
        f"--configmap-name={CONFIG_MAP}", f"--helper-pod-file={layout.run / 'local-path' / 'helperPod.yaml'}",
        f"--helper-image={image}", "--service-account-name=default", f"--kubeconfig={admin}",
    ]  # fmt: skip


def files(layout: Layout, image: str) -> dict[Path, str]:
    """The files `command` names."""
    folder = layout.run / "local-path"
    return {folder / "config.json": config_json(layout), folder / "helperPod.yaml": helper_pod(image)}
