"""The node's storage provisioner's files and objects (localcluster/local_path.py), tested anywhere; the node
lane proves a home binds through it (tests/node/test_node.py)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from localcluster import images, local_path
from localcluster.node_config import Layout

LAYOUT = Layout(Path("/d"), Path("/r"))


def test_volumes_live_under_the_node_data_folder_which_its_stop_removes() -> None:
    config = json.loads(local_path.config_json(LAYOUT))
    (paths,) = [entry["paths"] for entry in config["nodePathMap"]]
    assert paths == ["/d/local-path"] and local_path.data_dir(LAYOUT) == Path("/d/local-path")


def test_the_command_names_the_node_folder_so_the_node_counts_it_as_its_own() -> None:
    argv = local_path.command("/bin/lpp", Path("/s/admin.kubeconfig"), LAYOUT, images.HELLO)
    assert argv[:2] == ["/bin/lpp", "start"]
    files = {str(path) for path in local_path.files(LAYOUT, images.HELLO)}
    assert {arg.split("=", 1)[1] for arg in argv if arg.startswith(("--config=", "--helper-pod-file="))} == files
    assert all(path.startswith("/r/") for path in files)
    assert "--kubeconfig=/s/admin.kubeconfig" in argv and f"--helper-image={images.HELLO}" in argv


def test_the_helper_pods_run_the_node_image_with_busybox_applets_by_name() -> None:
    """docker.io/cvm-e2e/hello:1 is busybox with a few links (no mkdir, no rm): the scripts name busybox."""
    pod = yaml.safe_load(local_path.helper_pod(images.HELLO))
    assert [c["image"] for c in pod["spec"]["containers"]] == [images.HELLO]
    assert "busybox mkdir" in local_path.SETUP and "busybox rm -rf" in local_path.TEARDOWN


def test_the_class_is_the_default_and_waits_for_the_pod() -> None:
    by_kind = {manifest["kind"]: manifest for manifest in local_path.objects()}
    storage_class = by_kind["StorageClass"]
    assert storage_class["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer"
    assert storage_class["provisioner"] == local_path.PROVISIONER
    assert by_kind["ConfigMap"]["metadata"]["namespace"] == by_kind["Namespace"]["metadata"]["name"]
    assert set(by_kind["ConfigMap"]["data"]) == {"setup", "teardown"}
