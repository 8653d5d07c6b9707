"""Pinned releases: Sysbox (with the Kubernetes minors its installer accepts), envbox, the NVIDIA device plugin,
the canary's image and the Coder template's providers.

Every pin here is what the program deploys or checks against, and carries the upstream source it was read
from. Change a pin here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.version import Version

from components.facts.minors import minors


@dataclass(frozen=True)
class SysboxRelease:
    version: str
    kubernetes: tuple[Version, ...]
    source: str

    @property
    def installer_image(self) -> str:
        return f"registry.nestybox.com/nestybox/sysbox-deploy-k8s:v{self.version}-0"

    @property
    def keeps_containerd(self) -> bool:
        """Whether its installer adds sysbox-runc to a recent containerd, instead of always switching to CRI-O."""
        return Version(self.version) >= SYSBOX_CONTAINERD


# From 0.7.0 the installer configures containerd >= 2.0.5 in place; older containerd, and every node of an older
# release, gets the installer's own CRI-O (nestybox/sysbox docs/user-guide/install-k8s.md "Containerd
# Requirement", CHANGELOG 0.7.0).
SYSBOX_CONTAINERD = Version("0.7.0")
CONTAINERD_IN_PLACE = Version("2.0.5")


# The installer dies on any Kubernetes minor outside its list (sysbox-deploy-k8s.sh is_supported_k8s_version).
SYSBOX_RELEASES: dict[str, SysboxRelease] = {
    release.version: release
    for release in (
        SysboxRelease(
            "0.7.1",
            minors("1.32", "1.35"),
            "nestybox/sysbox release PR #1024 (tag 2026-07-31), manifest bump PR #1042; 1.36 open in issue #1036",
        ),
        SysboxRelease(
            "0.7.0",
            minors("1.32", "1.35"),
            "nestybox/sysbox docs/user-guide/install-k8s.md @ea6caca0 and CHANGELOG 0.7.0 (2026-03-03)",
        ),
        SysboxRelease(
            "0.6.7",
            minors("1.29", "1.32"),
            "nestybox/sysbox-pkgr k8s/scripts/sysbox-deploy-k8s.sh @2d5e795 is_supported_k8s_version (2025-05-09)",
        ),
    )
}
DEFAULT_SYSBOX = "0.7.1"


# envbox 0.6.7 (2026-05-10) is the newest tag in coder/envbox with a readable release. Its main branch moved to
# Sysbox 0.7.1 in coder/envbox#177 (2026-08-12); 0.6.8, the one later release, fails to start workspaces where
# /sys/fs/cgroup cannot be unmounted (coder/envbox#179, 2026-09-11), fixed on main by #181 (2026-09-14) in no
# release seen, and its Dockerfile could not be read to confirm its Sysbox. Tags carry no "v"
# (.github/workflows/release.yaml).
ENVBOX_IMAGE = "ghcr.io/coder/envbox:0.6.7"
# The Sysbox that image bundles and runs in every envbox pod, whatever cvm:sysbox.version says (coder/envbox
# deploy/Dockerfile at 0.6.7, 275007ff: SYSBOX_VERSION="0.7.0"); facts/issues.py ENVBOX_ISSUES says what it meets.
ENVBOX_SYSBOX = "0.7.0"

# NVIDIA/k8s-device-plugin v0.20.0 (2026-08-19), deployments/static/nvidia-device-plugin.yml.
NVIDIA_DEVICE_PLUGIN_VERSION = "v0.20.0"

# The canary's image: Coder's enterprise base image has systemd-sysv (so /sbin/init is systemd), Docker
# enabled as a systemd unit and a `coder` user (coder/enterprise-images images/base). This tag is the one
# Coder's own envbox template pins (coder/coder examples/templates/kubernetes-envbox/main.tf).
CANARY_IMAGE = "docker.io/codercom/enterprise-base:ubuntu-20240812"

# The Terraform providers of the Coder template (components/coder_template): constraints, not exact versions,
# because `coder templates push` runs `terraform init` against the Terraform registry, whose sync of coder/coder
# has missed releases (v2.19.0 absent there while on the OpenTofu registry: coder/terraform-provider-coder#547,
# 2026-09-22). The lower bounds are versions on that registry: coder/coder 2.18.0 was synced to it by hand
# (coder/coder#25590, 2026-05-21, which moved Coder to it); hashicorp/kubernetes 3.2.1 is HashiCorp's own
# release (hashicorp/terraform-provider-kubernetes CHANGELOG.md, 2026-06-30, read at 3a33fb6). The upper
# bounds stop at the next major. The template's schema test follows coder/coder v2.20.0's docs/; the arguments
# it uses (parameters with options and validation, `coder_workspace`'s id, access_url and start_count,
# `coder_agent`'s os, arch, token and init_script) all predate 2.0.
CODER_PROVIDER_CONSTRAINT = ">= 2.18.0, < 3.0.0"
KUBERNETES_PROVIDER_CONSTRAINT = ">= 3.2.1, < 4.0.0"
