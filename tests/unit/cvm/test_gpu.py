"""The NVIDIA device plugin's pure builder."""

from __future__ import annotations

from components.cvm import gpu


def test_device_plugin_follows_the_pinned_release() -> None:
    assert gpu.daemon_set("v0.17.1")["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":v0.17.1")
