"""`Settings`, the whole config, and the rules that tie its keys and sections together.

`Settings` validates each key with its own rules (fields in dependency order: a validator sees the fields above
it that validated); `across` then judges the keys together, on plain data, so that loading runs it on whatever
validated even when other keys failed (docs/configuration.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from components.config.checks import ABSENT, UNKNOWN, Finding, fields, forget, part, report, values
from components.config.sections import (
    Aks,
    Baremetal,
    Eks,
    Gke,
    Gpu,
    Model,
    Supervisor,
    Sysbox,
    across_workspaces,
    reaches_a_cluster,
)
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
            # a platform that failed its own rule gets bare metal's default, a placeholder: `across` judges the
            # minor only once the platform validated (`_derived`)
            chosen: Platform = platform if platform in PLATFORMS else "baremetal"
            return compatibility.DEFAULT_MINOR[chosen]
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

    @field_validator(*PLATFORMS)
    @classmethod
    def _platform_section(cls, value: Model | None, info: ValidationInfo) -> Model | None:
        """The platform's own section, with its defaults when left out (GKE and AKS have none: a location)."""
        platform, section = info.data.get("platform"), info.field_name
        if value is None and section == platform:
            default = _DEFAULT_SECTIONS.get(str(section))
            if default is None:
                report([(("location",), ABSENT, f"is required when platform is '{platform}'")])
            else:
                value = default()
        return value

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


# Rules across keys and sections, on the config as far as it validated (`checks.part`; `UNKNOWN` where a part
# failed its own rules), in dependency order: a key a rule refuses is `UNKNOWN` to the rules after it.


def across(validated: Settings | Mapping[str, Any]) -> list[Finding]:
    """Every problem between the config's keys, each rule run when the keys it needs validated (whatever else
    failed), and skipped, not guessed, when one of them did not. `validated`: the `Settings`, or what validated
    of them (`checks.part` reads either). Findings are placed from the config's root."""
    known = _derived(fields(validated))
    findings: list[Finding] = []
    for rule in _RULES:
        found = rule(known)
        findings += found
        for loc, _, _ in found:
            known = forget(known, loc)
    return findings


def _derived(known: dict[str, Any]) -> dict[str, Any]:
    """The values `Settings` derives from the platform (its default minor, its section's defaults): unknown while
    the platform is."""
    platform, derived = known["platform"], dict(known)
    if known["kubernetesVersion"] is None:
        derived["kubernetesVersion"] = UNKNOWN if platform is UNKNOWN else compatibility.DEFAULT_MINOR[platform]
    if platform in _DEFAULT_SECTIONS and known[platform] is None:
        derived[platform] = _DEFAULT_SECTIONS[platform]()
    return derived


def _kubernetes_window(known: Mapping[str, Any]) -> list[Finding]:
    minor, platform = part(known, "kubernetesVersion"), part(known, "platform")
    enabled, version = part(known, "sysbox", "enabled"), part(known, "sysbox", "version")
    if minor is UNKNOWN:
        return []
    reasons: list[str] = []
    if platform is not UNKNOWN:
        window, offer = compatibility.WINDOWS[platform], compatibility.OFFERS[platform]
        if minor not in window:
            reason = f"{platform} offers {span(offer.kubernetes)} ({offer.source})"
            if window != offer.kubernetes:
                reason += f", of which cvm has the node images on record for {span(window)} only"
            reasons.append(reason)
    if enabled is True and version is not UNKNOWN and minor not in pins.SYSBOX_RELEASES[version].kubernetes:
        release = pins.SYSBOX_RELEASES[version]
        others = [r.version for r in pins.SYSBOX_RELEASES.values() if minor in r.kubernetes]
        advice = f"; Sysbox {', '.join(others)} accepts it" if others else "; no pinned Sysbox release accepts it"
        reasons.append(
            f"Sysbox {release.version} accepts Kubernetes {span(release.kubernetes)} only, its "
            f"installer refuses any other ({release.source}){advice}"
        )
    if len(str(minor.minor)) == 1:
        # YAML reads an unquoted 1.30 as the number 1.3
        reasons = [f"{reason}; did you mean '{minor}0'? Quote it in YAML" for reason in reasons]
    return [(("kubernetesVersion",), str(minor), reason) for reason in reasons]


def _gpus_on_bare_metal(known: Mapping[str, Any]) -> list[Finding]:
    platform = part(known, "platform")
    if part(known, "gpu", "enabled") is True and platform in CLOUDS:
        reason = (
            f"GPUs in CVMs are supported on bare metal only, not on {platform} (Coder CVM docs); "
            "use platform 'baremetal'"
        )
        return [(("gpu", "enabled"), True, reason)]
    return []


def _sections_match_platform(known: Mapping[str, Any]) -> list[Finding]:
    platform = part(known, "platform")
    if platform is UNKNOWN:
        return []
    reason = f"but platform is '{platform}'; remove it"
    # a section set, valid or not (`UNKNOWN`), is the wrong platform's all the same
    return [
        ((section,), ABSENT, f"applies to platform '{section}', {reason}")
        for section in PLATFORMS
        if section != platform and part(known, section) is not None
    ]


def _eks_ubuntu(known: Mapping[str, Any]) -> list[Finding]:
    ubuntu, minor = part(known, "eks", "ubuntuVersion"), part(known, "kubernetesVersion")
    if part(known, "platform") != "eks" or UNKNOWN in (ubuntu, minor):
        return []
    published = compatibility.NODE_IMAGES["eks"][ubuntu]
    if minor not in published:
        window = span(tuple(sorted(published)))
        others = compatibility.families_for("eks", minor)
        advice = f"; for {minor} use {' or '.join(others)}" if others else ""
        reason = (
            f"Canonical publishes its Ubuntu {ubuntu} EKS AMI for Kubernetes {window}, not {minor} "
            f"(Canonical ubuntu-cloud-docs, EKS images){advice}"
        )
        return [(("eks", "ubuntuVersion"), ubuntu, reason)]
    return []


def _gpu_nodes_listed(known: Mapping[str, Any]) -> list[Finding]:
    nodes = part(known, "baremetal", "gpuNodes")
    if part(known, "platform") == "baremetal" and part(known, "gpu", "enabled") is True and nodes == []:
        return [(("baremetal", "gpuNodes"), [], "must list the NVIDIA GPU nodes when gpu.enabled is true")]
    return []


def _kubeconfig_reaches_a_cluster(known: Mapping[str, Any]) -> list[Finding]:
    text, context = part(known, "baremetal", "kubeconfig"), part(known, "baremetal", "context")
    if UNKNOWN in (text, context):
        return []
    return [(("baremetal", *loc), value, reason) for loc, value, reason in reaches_a_cluster(text, context)]


def _workspaces_fit_cluster(known: Mapping[str, Any]) -> list[Finding]:
    sysbox, gpu = part(known, "sysbox", "enabled"), part(known, "gpu", "enabled")
    entries = part(known, "supervisor", "workspaces")
    findings: list[Finding] = []
    for i, workspace in enumerate(entries if isinstance(entries, list) else []):
        runtime, gpus = values(workspace, "runtime", "gpus")
        if sysbox is False and runtime == Runtime.SYSBOX_RUNC:
            reason = f"needs sysbox.enabled; use '{Runtime.ENVBOX}' or enable Sysbox"
            findings.append((("supervisor", "workspaces", i, "runtime"), runtime, reason))
        if gpu is False and gpus is not UNKNOWN and gpus > 0:
            reason = "needs gpu.enabled (bare metal with NVIDIA GPU nodes)"
            findings.append((("supervisor", "workspaces", i, "gpus"), gpus, reason))
    return findings


def _workspace_list(known: Mapping[str, Any]) -> list[Finding]:
    entries = part(known, "supervisor", "workspaces")
    if not isinstance(entries, list):
        return []
    read = (values(entry, "name", "agentToken") for entry in entries)
    plain = [(name, None if token is UNKNOWN else token is not None) for name, token in read]  # token None: not set
    canary, url = part(known, "supervisor", "canary"), part(known, "supervisor", "coderUrl")
    found = across_workspaces(plain, canary=canary is True, coder_url=None if url is UNKNOWN else url is not None)
    return [(("supervisor", "workspaces", *loc), value, reason) for loc, value, reason in found]


def image_family(platform: str, ubuntu: str) -> str:
    """The image family of the platform's CVM nodes: GKE's image type, AKS's OS SKU, the EKS Ubuntu release."""
    families = {"gke": compatibility.GKE_IMAGE_TYPE, "aks": compatibility.AKS_OS_SKU, "eks": ubuntu}
    return families.get(platform, "")


def _sysbox_compatibility(known: Mapping[str, Any]) -> list[Finding]:
    """A refusal for each open upstream issue that stops sysbox-runc pods on this stack's nodes, with the issue,
    the way out, and the key that accepts it; nothing when Sysbox is off or the issue is accepted."""
    platform, minor, sysbox = part(known, "platform"), part(known, "kubernetesVersion"), part(known, "sysbox")
    keys = ("enabled", "version", "acceptKnownIssues", "containerdFix")
    enabled, release, accepted, containerd_fix = (part(sysbox, key) for key in keys)
    ubuntu = part(known, "eks", "ubuntuVersion") if platform == "eks" else ""
    if platform not in CLOUDS or enabled is not True or UNKNOWN in (minor, release, accepted, containerd_fix, ubuntu):
        return []
    family = image_family(platform, ubuntu)
    accepted_minors = frozenset(
        m for m in compatibility.WINDOWS[platform] if m in pins.SYSBOX_RELEASES[release].kubernetes
    )
    fixes = frozenset({issues.SYSBOX_997.fix} if containerd_fix else ())  # the workarounds this stack turns on
    findings: list[Finding] = []
    for issue in compatibility.blocking_issues(platform, family, minor, release):
        if issue.id in accepted or (issue.fix and issue.fix in fixes):
            continue
        image = compatibility.node_image(platform, family, minor)
        nodes = f"{image.os}, kernel {image.kernel}, {image.runtime}" if image else family
        outs = compatibility.ways_out(platform, family, release, accepted_minors)
        fix = [f"set {issue.fix}: true (unproven against real Sysbox; docs/platforms.md)"] if issue.fix else []
        reason = (
            f"Sysbox {release} does not work on {platform} {minor} nodes ({nodes}): {issue.symptom} "
            f"({issue.status}; {issue.url}). Way out: {'; or '.join([*outs, *fix])}; or, knowingly, add "
            f"'{issue.id}' to cvm:sysbox.acceptKnownIssues"
        )
        findings.append((("kubernetesVersion",), str(minor), reason))
    return findings


_RULES: tuple[Callable[[Mapping[str, Any]], list[Finding]], ...] = (
    _kubernetes_window,
    _gpus_on_bare_metal,
    _sections_match_platform,
    _eks_ubuntu,
    _gpu_nodes_listed,
    _kubeconfig_reaches_a_cluster,
    _workspaces_fit_cluster,
    _workspace_list,
    _sysbox_compatibility,
)
