"""`Settings`, the whole config, and the rules that tie its sections together.

Fields come in dependency order: a validator sees the fields above it that validated.
"""

from __future__ import annotations

import re
from typing import Any

from packaging.version import Version
from pydantic import Field, ValidationInfo, field_validator, model_validator

from components.config.checks import ABSENT, Finding, report
from components.config.sections import Aks, Baremetal, Eks, Gke, Gpu, Model, Supervisor, Sysbox
from components.config.values import KubernetesMinor
from components.facts import compatibility, issues, pins
from components.facts.minors import span
from components.facts.platforms import CLOUDS, PLATFORMS, Platform
from components.facts.runtimes import Runtime

# Cluster names each cloud's API accepts (GKE clusters.create, AKS resource naming rules, EKS CreateCluster).
_CLUSTER_NAME: dict[Platform, tuple[re.Pattern[str], str]] = {
    "gke": (
        re.compile(r"[a-z]([-a-z0-9]{0,38}[a-z0-9])?"),
        "1-40 lowercase letters, digits and '-', starting with a letter",
    ),
    "aks": (re.compile(r"[A-Za-z0-9]([-_A-Za-z0-9]{0,61}[A-Za-z0-9])?"), "1-63 letters, digits, '-' and '_'"),
    "eks": (re.compile(r"[A-Za-z0-9][-_A-Za-z0-9]{0,99}"), "1-100 letters, digits, '-' and '_'"),
    "baremetal": (
        re.compile(r"[A-Za-z0-9]([-_.A-Za-z0-9]{0,61}[A-Za-z0-9])?"),
        "1-63 letters, digits, '-', '_' and '.'",
    ),
}

# The platforms whose section may be left out: every field has a default (GKE and AKS need a location).
_DEFAULT_SECTIONS: dict[str, type[Model]] = {"baremetal": Baremetal, "eks": Eks}


class Settings(Model):
    platform: Platform
    sysbox: Sysbox = Sysbox()
    # unset: the platform's default (facts/compatibility.py DEFAULT_MINOR), a minor on which Sysbox works today
    kubernetes_version: KubernetesMinor = Field(default=None, validate_default=True)
    cluster_name: str | None = None
    gpu: Gpu = Gpu()
    gke: Gke | None = None
    aks: Aks | None = None
    eks: Eks | None = None
    baremetal: Baremetal | None = None
    supervisor: Supervisor = Supervisor()
    skip_await: bool = False

    @field_validator("kubernetes_version", mode="before")
    @classmethod
    def _platform_default(cls, value: Any, info: ValidationInfo) -> Any:
        platform = info.data.get("platform")
        if value is None:
            # a platform that failed its own rule gets bare metal's default, so only that rule's problem shows
            chosen: Platform = platform if platform in PLATFORMS else "baremetal"
            return compatibility.DEFAULT_MINOR[chosen]
        return value

    @field_validator("kubernetes_version")
    @classmethod
    def _inside_windows(cls, value: Version, info: ValidationInfo) -> Version:
        platform, sysbox = info.data.get("platform"), info.data.get("sysbox")
        findings: list[Finding] = []
        if platform is not None:
            window, offer = compatibility.WINDOWS[platform], compatibility.OFFERS[platform]
            if value not in window:
                reason = f"{platform} offers {span(offer.kubernetes)} ({offer.source})"
                if window != offer.kubernetes:
                    reason += f", of which cvm has the node images on record for {span(window)} only"
                findings.append(((), str(value), reason))
        if sysbox is not None and sysbox.enabled and value not in sysbox.release.kubernetes:
            release = sysbox.release
            others = [r.version for r in pins.SYSBOX_RELEASES.values() if value in r.kubernetes]
            advice = f"; Sysbox {', '.join(others)} accepts it" if others else "; no pinned Sysbox release accepts it"
            findings.append(
                (
                    (),
                    str(value),
                    f"Sysbox {release.version} accepts Kubernetes {span(release.kubernetes)} only, its "
                    f"installer refuses any other ({release.source}){advice}",
                )
            )
        if findings and len(str(value.minor)) == 1:
            # YAML reads an unquoted 1.30 as the number 1.3
            findings = [
                (loc, given, f"{reason}; did you mean '{value}0'? Quote it in YAML") for loc, given, reason in findings
            ]
        report(findings)
        return value

    @field_validator("cluster_name")
    @classmethod
    def _named(cls, value: str | None, info: ValidationInfo) -> str | None:
        platform = info.data.get("platform")
        stack = (info.context or {}).get("stack", "dev")
        name = value if value is not None else f"cvm-{stack}"
        if platform is not None:
            pattern, accepted = _CLUSTER_NAME[platform]
            if not pattern.fullmatch(name):
                origin = "" if value is not None else f" (the default, from stack '{stack}'; set cvm:clusterName)"
                report([((), name, f"is not a valid {platform} cluster name{origin}: {accepted}")])
        return name

    @field_validator("gpu")
    @classmethod
    def _bare_metal_gpus(cls, value: Gpu, info: ValidationInfo) -> Gpu:
        platform = info.data.get("platform")
        if value.enabled and platform in CLOUDS:
            reason = (
                f"GPUs in CVMs are supported on bare metal only, not on {platform} (Coder CVM docs); "
                "use platform 'baremetal'"
            )
            report([(("enabled",), True, reason)])
        return value

    @field_validator(*PLATFORMS)
    @classmethod
    def _section_matches_platform(cls, value: Model | None, info: ValidationInfo) -> Model | None:
        platform, section = info.data.get("platform"), info.field_name
        if platform is None:
            return value
        if value is not None and section != platform:
            report([((), ABSENT, f"applies to platform '{section}', but platform is '{platform}'; remove it")])
        if value is None and section == platform:
            default = _DEFAULT_SECTIONS.get(platform)
            if default is None:
                report([(("location",), ABSENT, f"is required when platform is '{platform}'")])
            else:
                value = default()
        if isinstance(value, Eks):
            report(_eks_ubuntu(value, info.data.get("kubernetes_version")))
        if isinstance(value, Baremetal):
            gpu = info.data.get("gpu")
            if gpu is not None and gpu.enabled and not value.gpu_nodes:
                report([(("gpuNodes",), [], "must list the NVIDIA GPU nodes when gpu.enabled is true")])
        return value

    @field_validator("supervisor")
    @classmethod
    def _workspaces_fit_cluster(cls, value: Supervisor, info: ValidationInfo) -> Supervisor:
        sysbox, gpu = info.data.get("sysbox"), info.data.get("gpu")
        findings: list[Finding] = []
        for i, workspace in enumerate(value.workspaces):
            if sysbox is not None and not sysbox.enabled and workspace.runtime == Runtime.SYSBOX_RUNC:
                reason = f"needs sysbox.enabled; use '{Runtime.ENVBOX}' or enable Sysbox"
                findings.append((("workspaces", i, "runtime"), workspace.runtime, reason))
            if gpu is not None and workspace.gpus and not gpu.enabled:
                reason = "needs gpu.enabled (bare metal with NVIDIA GPU nodes)"
                findings.append((("workspaces", i, "gpus"), workspace.gpus, reason))
        report(findings)
        return value

    @model_validator(mode="after")
    def _sysbox_works_there(self) -> Settings:
        """Refuse a platform, minor and node image on which upstream reports sysbox-runc pods failing."""
        report(sysbox_compatibility(self))
        return self

    @property
    def waiting_for_cvm_nodes(self) -> list[str]:
        """What can run only on a CVM node, on a bare-metal stack that lists none (empty where nothing waits).

        Such a stack is valid (its nodes may be listed later), but nothing placed on CVM nodes can start."""
        if self.baremetal is None or self.baremetal.nodes:
            return []
        workspaces = [f"workspace '{w.name}'" for w in self.supervisor.workspaces if not w.gpus]
        return (["the canary"] if self.supervisor.canary else []) + workspaces

    @property
    def kubernetes_minor(self) -> str:
        return str(self.kubernetes_version)

    @property
    def name(self) -> str:
        assert self.cluster_name is not None  # filled by the validator
        return self.cluster_name


def _eks_ubuntu(eks: Eks, minor: Version | None) -> list[Finding]:
    if minor is None:
        return []
    published = compatibility.NODE_IMAGES["eks"][eks.ubuntu_version]
    if minor not in published:
        window = span(tuple(sorted(published)))
        others = compatibility.families_for("eks", minor)
        advice = f"; for {minor} use {' or '.join(others)}" if others else ""
        reason = (
            f"Canonical publishes its Ubuntu {eks.ubuntu_version} EKS AMI for Kubernetes {window}, not {minor} "
            f"(Canonical ubuntu-cloud-docs, EKS images){advice}"
        )
        return [(("ubuntuVersion",), eks.ubuntu_version, reason)]
    return []


def image_family(settings: Settings) -> str:
    """The image family of the platform's CVM nodes: GKE's image type, AKS's OS SKU, the EKS Ubuntu release."""
    if settings.platform == "eks":
        return (settings.eks or Eks()).ubuntu_version
    return {"gke": compatibility.GKE_IMAGE_TYPE, "aks": compatibility.AKS_OS_SKU}.get(settings.platform, "")


def fixes(settings: Settings) -> frozenset[str]:
    """The config keys of known-issue workarounds this stack turns on (facts/issues.py `KnownIssue.fix`)."""
    return frozenset({issues.SYSBOX_997.fix} if settings.sysbox.containerd_fix else ())


def sysbox_compatibility(settings: Settings) -> list[Finding]:
    """A refusal for each open upstream issue that stops sysbox-runc pods on this stack's nodes, with the issue,
    the way out, and the key that accepts it; nothing when Sysbox is off or the issue is accepted."""
    if not settings.sysbox.enabled or settings.platform not in CLOUDS:
        return []
    family, minor, release = image_family(settings), settings.kubernetes_version, settings.sysbox.version
    accepted_minors = frozenset(
        m for m in compatibility.WINDOWS[settings.platform] if m in settings.sysbox.release.kubernetes
    )
    findings: list[Finding] = []
    for issue in compatibility.blocking_issues(settings.platform, family, minor, release):
        if issue.id in settings.sysbox.accept_known_issues or (issue.fix and issue.fix in fixes(settings)):
            continue
        image = compatibility.node_image(settings.platform, family, minor)
        nodes = f"{image.os}, kernel {image.kernel}, {image.runtime}" if image else family
        outs = compatibility.ways_out(settings.platform, family, release, accepted_minors)
        fix = [f"set {issue.fix}: true (unproven against real Sysbox; docs/platforms.md)"] if issue.fix else []
        reason = (
            f"Sysbox {release} does not work on {settings.platform} {minor} nodes ({nodes}): {issue.symptom} "
            f"({issue.status}; {issue.url}). Way out: {'; or '.join([*outs, *fix])}; or, knowingly, add "
            f"'{issue.id}' to cvm:sysbox.acceptKnownIssues"
        )
        findings.append((("kubernetes_version",), str(minor), reason))
    return findings
