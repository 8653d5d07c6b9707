"""The GKE cluster's kubeconfig, built without the cloud."""

from __future__ import annotations

import yaml

from components.clusters import gke


def test_gke_kubeconfig_is_pure() -> None:
    config = yaml.safe_load(gke.kubeconfig("c", "10.0.0.1", "Q0E="))
    assert config["current-context"] == "c" and config["clusters"][0]["cluster"]["certificate-authority-data"] == "Q0E="
