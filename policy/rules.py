"""The CVM invariants as Pulumi policies: `pulumi preview --policy-pack policy` fails a change that breaks one.

The rules read what the engine sees (camelCase inputs, resource types), so they also catch what the
settings cannot: a hand-written resource, a transform, an edited component. The program's facts they check
against (pinned Sysbox windows, the contract's names, the image and NFS rules) come from facts.json, which
components/policy_facts.py writes from the program's own modules, so that both always agree while the pack
stays self-contained: it imports pulumi_policy and the standard library only, and publishes as this folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

FACTS: dict[str, Any] = json.loads(Path(__file__).with_name("facts.json").read_text())
NAMES: dict[str, Any] = FACTS["names"]
COMPONENT_LABEL: str = NAMES["componentLabel"]
WORKSPACE_COMPONENT: str = NAMES["workspaceComponent"]
INSTALL_LABEL: dict[str, str] = NAMES["installLabel"]
SYSBOX_RELEASES: dict[str, dict[str, Any]] = FACTS["sysboxReleases"]
GKE_IMAGE_TYPE, GKE_CHANNEL = FACTS["gke"]["imageType"], FACTS["gke"]["channel"]
AKS_NODE_OS_SCHEDULE = FACTS["aks"]["nodeOsSchedule"]
EKS_SUPPORT_TYPE = FACTS["eks"]["supportType"]
AMI_PARAMETER_TAG, CANONICAL_PARAMETERS = FACTS["eks"]["amiParameterTag"], FACTS["eks"]["canonicalParameters"]
PINNED_IMAGE, NFS_CLASS, MAJOR_MINOR = (
    re.compile(FACTS["patterns"][k]) for k in ("pinnedImage", "nfsStorageClass", "majorMinor")
)

MANDATORY = EnforcementLevel.MANDATORY
WORKLOADS = {
    "kubernetes:core/v1:Pod",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:ReplicaSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
}
SYSBOX_INSTALLER = (NAMES["systemNamespace"], NAMES["sysboxDaemonSet"])
NVIDIA_PLUGIN = (NAMES["systemNamespace"], NAMES["nvidiaDaemonSet"])
CLOUD_CLUSTERS = {
    "gcp:container/cluster:Cluster",
    "azure-native:containerservice:ManagedCluster",
    "eks:index:Cluster",
}
UBUNTU_AKS_SKUS = {"Ubuntu", "Ubuntu2204", "Ubuntu2404"}

# What a policy group (or `--policy-pack-config`) may set, per policy: JSON Schemas the engine validates the
# configuration against, defaults filled in (pulumi/pulumi pkg/resource/analyzer/config.go). The rules read
# the same defaults when called without an engine.
CONFIG: dict[str, dict[str, dict[str, Any]]] = {
    "images-pinned": {
        "requireDigest": {
            "type": "boolean",
            "default": False,
            "description": "Refuse references pinned by tag alone: every image must carry a sha256 digest.",
        },
    },
    "no-nfs-workspace-volumes": {
        "nfsStorageClasses": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "uniqueItems": True,
            "default": [],
            "description": "StorageClasses that are NFS-backed although their names do not say so.",
        },
    },
}


def config(policy: str, args: ResourceValidationArgs | StackValidationArgs) -> dict[str, Any]:
    """The policy's configuration: what the engine passed over the defaults of CONFIG."""
    return {**{k: v["default"] for k, v in CONFIG[policy].items()}, **args.get_config()}


def schema(policy: str) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties=CONFIG[policy])


def minor(text: str) -> str | None:
    """'v1.35.4-gke.1' -> '1.35', as the program's units.minor reads it."""
    match = MAJOR_MINOR.match(text.strip())
    return f"{int(match[1])}.{int(match[2])}" if match else None


def _pod_spec(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = props.get("spec") or {}
    if resource_type == "kubernetes:batch/v1:CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    if resource_type != "kubernetes:core/v1:Pod":
        spec = (spec.get("template") or {}).get("spec") or {}
    return spec


def _containers(resource_type: str, props: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    if resource_type in WORKLOADS:
        spec = _pod_spec(resource_type, props)
        for key in ("initContainers", "containers"):
            yield from spec.get(key) or []


def _identity(props: Mapping[str, Any]) -> tuple[str | None, str | None]:
    metadata = props.get("metadata") or {}
    return metadata.get("namespace"), metadata.get("name")


def _workspace(props: Mapping[str, Any]) -> bool:
    labels = (props.get("metadata") or {}).get("labels") or {}
    return labels.get(COMPONENT_LABEL) == WORKSPACE_COMPONENT


def privileged_only_for_cvms(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for container in _containers(args.resource_type, args.props):
        if not (container.get("securityContext") or {}).get("privileged"):
            continue
        installer = args.resource_type == "kubernetes:apps/v1:DaemonSet" and _identity(args.props) == SYSBOX_INSTALLER
        envbox = _workspace(args.props) and container.get("name") == "envbox"
        if not (installer or envbox):
            report(
                f"container '{container.get('name')}' is privileged; only the Sysbox installer and envbox may be", None
            )


def images_pinned(args: ResourceValidationArgs, report: ReportViolation) -> None:
    require_digest = config("images-pinned", args)["requireDigest"]
    for container in _containers(args.resource_type, args.props):
        images = [container.get("image") or ""]
        images += [e.get("value") or "" for e in container.get("env") or [] if e.get("name") == "CODER_INNER_IMAGE"]
        for image in images:
            if not PINNED_IMAGE.fullmatch(image):
                report(f"image '{image}' of container '{container.get('name')}' has no explicit tag, or 'latest'", None)
            elif require_digest and "@sha256:" not in image:
                report(f"image '{image}' of container '{container.get('name')}' has no digest (requireDigest)", None)


def no_nfs_workspace_volumes(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != "kubernetes:core/v1:PersistentVolumeClaim" or not _workspace(args.props):
        return
    storage_class = (args.props.get("spec") or {}).get("storageClassName") or ""
    if NFS_CLASS.search(storage_class):
        report(
            f"workspace volume on storage class '{storage_class}', which looks NFS-backed; CVMs cannot use NFS", None
        )
    elif storage_class in config("no-nfs-workspace-volumes", args)["nfsStorageClasses"]:
        report(
            f"workspace volume on storage class '{storage_class}', configured as NFS-backed; CVMs cannot use NFS", None
        )


def _labelled_for_cvms(labels: Mapping[str, Any] | None) -> bool:
    return all((labels or {}).get(key) == value for key, value in INSTALL_LABEL.items())


def cvm_pools_on_ubuntu(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if args.resource_type == "gcp:container/nodePool:NodePool":
        config = props.get("nodeConfig") or {}
        if _labelled_for_cvms(config.get("labels")) and config.get("imageType") != GKE_IMAGE_TYPE:
            report(f"CVM node pool with image type '{config.get('imageType')}'; it must be {GKE_IMAGE_TYPE}", None)
    elif args.resource_type == "azure-native:containerservice:AgentPool":
        if _labelled_for_cvms(props.get("nodeLabels")) and props.get("osSKU") not in UBUNTU_AKS_SKUS:
            report(f"CVM agent pool with OS SKU '{props.get('osSKU')}'; it must be Ubuntu", None)
    elif args.resource_type == "eks:index:ManagedNodeGroup" and _labelled_for_cvms(props.get("labels")):
        source = (props.get("tags") or {}).get(AMI_PARAMETER_TAG) or ""
        if not props.get("amiId") or not source.startswith(CANONICAL_PARAMETERS):
            report(
                f"CVM node group whose AMI is not Canonical's Ubuntu EKS AMI (tag {AMI_PARAMETER_TAG}='{source}')", None
            )


def _cluster_versions(resource: PolicyResource) -> Iterator[str]:
    props = resource.props
    if resource.resource_type == "gcp:container/cluster:Cluster":
        yield props.get("minMasterVersion") or ""
    elif resource.resource_type == "azure-native:containerservice:ManagedCluster":
        yield props.get("kubernetesVersion") or ""
    elif resource.resource_type == "azure-native:containerservice:AgentPool":
        yield props.get("orchestratorVersion") or ""
    elif resource.resource_type in ("eks:index:Cluster", "gcp:container/nodePool:NodePool"):
        yield props.get("version") or ""


def kubernetes_in_sysbox_window(args: StackValidationArgs, report: ReportViolation) -> None:
    installers = [
        r
        for r in args.resources
        if r.resource_type == "kubernetes:apps/v1:DaemonSet" and _identity(r.props) == SYSBOX_INSTALLER
    ]
    if not installers:
        return  # no Sysbox on the nodes: no window to keep
    image = ((_pod_spec(installers[0].resource_type, installers[0].props).get("containers") or [{}])[0]).get(
        "image", ""
    )
    tag = image.rsplit(":", 1)[-1].removeprefix("v").removesuffix("-0")
    release = SYSBOX_RELEASES.get(tag)
    if release is None:
        report(f"the Sysbox installer image '{image}' is not a pinned release ({', '.join(SYSBOX_RELEASES)})", None)
        return
    for resource in args.resources:
        for text in _cluster_versions(resource):
            if text and minor(text) not in release["kubernetes"]:
                report(f"Kubernetes {text} is outside Sysbox {tag}'s window {release['window']}", resource.urn)


def gpu_plugin_only_on_bare_metal(args: StackValidationArgs, report: ReportViolation) -> None:
    clouds = [r for r in args.resources if r.resource_type in CLOUD_CLUSTERS]
    plugins = [
        r
        for r in args.resources
        if r.resource_type == "kubernetes:apps/v1:DaemonSet" and _identity(r.props) == NVIDIA_PLUGIN
    ]
    if clouds and plugins:
        report(
            "the NVIDIA device plugin is deployed on a cloud cluster; CVM GPUs are for bare metal only", plugins[0].urn
        )


def cluster_deletion_protection(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in CLOUD_CLUSTERS:
        return
    if not args.opts.protect:
        report("the cluster is not protected: a change could delete or replace it silently", None)
    if args.resource_type == "gcp:container/cluster:Cluster" and args.props.get("deletionProtection") is False:
        report("GKE deletion protection is off", None)


AKS_HELD_CHANNELS = {"patch", "none"}  # the channels that never move a minor (AKS auto-upgrade docs)


def minor_held(args: StackValidationArgs, report: ReportViolation) -> None:
    """No cloud moves a CVM cluster's minor by itself; node images change only inside a window."""
    node_os_windows = {
        r.props.get("configName")
        for r in args.resources
        if r.resource_type == "azure-native:containerservice:MaintenanceConfiguration"
    }
    for r in args.resources:
        props = r.props
        if r.resource_type == "gcp:container/cluster:Cluster":
            channel = (props.get("releaseChannel") or {}).get("channel")
            scopes = {
                ((e.get("exclusionOptions") or {}).get("scope"))
                for e in (props.get("maintenancePolicy") or {}).get("maintenanceExclusions") or []
            }
            if channel != GKE_CHANNEL or "NO_MINOR_UPGRADES" not in scopes:
                report(
                    f"GKE cluster on channel '{channel}' with exclusions {sorted(map(str, scopes))}: CVM clusters "
                    f"stay on {GKE_CHANNEL} with a NO_MINOR_UPGRADES exclusion",
                    r.urn,
                )
        elif r.resource_type == "azure-native:containerservice:ManagedCluster":
            profile = props.get("autoUpgradeProfile") or {}
            if profile.get("upgradeChannel") not in AKS_HELD_CHANNELS:
                report(f"AKS upgrade channel '{profile.get('upgradeChannel')}' may move the minor", r.urn)
            if profile.get("nodeOSUpgradeChannel") == "NodeImage" and AKS_NODE_OS_SCHEDULE not in node_os_windows:
                report(f"AKS reimages nodes weekly at any hour without a '{AKS_NODE_OS_SCHEDULE}' window", r.urn)
        elif r.resource_type == "azure-native:containerservice:AgentPool" and _labelled_for_cvms(
            props.get("nodeLabels")
        ):
            if not props.get("orchestratorVersion"):
                report("CVM agent pool without an orchestratorVersion: it must be on the cluster's minor", r.urn)
        elif r.resource_type == "eks:index:Cluster":
            support = (props.get("upgradePolicy") or {}).get("supportType", EKS_SUPPORT_TYPE)
            if support != EKS_SUPPORT_TYPE:
                report(f"EKS support type '{support}' upgrades the minor at the end of standard support", r.urn)


def node_metadata_protected(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Pods on CVM nodes cannot take the node's cloud credentials from the metadata server."""
    props = args.props
    if args.resource_type == "gcp:container/nodePool:NodePool":
        config = props.get("nodeConfig") or {}
        mode = (config.get("workloadMetadataConfig") or {}).get("mode")
        if _labelled_for_cvms(config.get("labels")) and mode != "GKE_METADATA":
            report(f"CVM node pool with workload metadata mode '{mode}'; it must be GKE_METADATA", None)
    elif args.resource_type == "eks:index:ManagedNodeGroup" and _labelled_for_cvms(props.get("labels")):
        if props.get("enableIMDSv2") is not True:
            report("CVM node group without enableIMDSv2: pods could use IMDSv1 for the node's credentials", None)
    elif args.resource_type == "aws:ec2/launchTemplate:LaunchTemplate":
        options = props.get("metadataOptions") or {}
        hops = options.get("httpPutResponseHopLimit")
        if options.get("httpTokens") == "required" and isinstance(hops, (int, float)) and hops > 1:
            report(f"launch template with metadata hop limit {hops:g}: pods reach the node's metadata; use 1", None)


def _enforces_network_policy(resource_type: str, props: Mapping[str, Any]) -> bool:
    if resource_type == "gcp:container/cluster:Cluster":
        return props.get("datapathProvider") == "ADVANCED_DATAPATH" or bool(
            (props.get("networkPolicy") or {}).get("enabled")
        )
    if resource_type == "azure-native:containerservice:ManagedCluster":
        return (props.get("networkProfile") or {}).get("networkPolicy") in ("azure", "cilium", "calico")
    return (props.get("vpcCniOptions") or {}).get("enableNetworkPolicy") is True  # eks:index:Cluster


def network_policy_enforced(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Each managed cluster enforces NetworkPolicy the way its cloud supports (GKE Dataplane V2 or the network
    policy add-on, AKS network_policy azure/cilium/calico, EKS VPC CNI enableNetworkPolicy)."""
    if args.resource_type in CLOUD_CLUSTERS and not _enforces_network_policy(args.resource_type, args.props):
        report("the cluster enforces no NetworkPolicy: the workspaces' policies would do nothing", None)


POLICIES = [
    ResourceValidationPolicy(
        "privileged-only-for-cvms",
        "Privileged containers only in the Sysbox installer and envbox workspaces.",
        privileged_only_for_cvms,
        MANDATORY,
    ),
    ResourceValidationPolicy(
        "cvm-pools-on-ubuntu",
        "CVM node pools run Ubuntu: GKE UBUNTU_CONTAINERD, AKS OS SKU Ubuntu, EKS Canonical's AMI.",
        cvm_pools_on_ubuntu,
        MANDATORY,
    ),
    StackValidationPolicy(
        "kubernetes-in-sysbox-window",
        "Clusters and pools stay on a Kubernetes minor the pinned Sysbox release accepts.",
        kubernetes_in_sysbox_window,
        MANDATORY,
    ),
    StackValidationPolicy(
        "gpu-plugin-only-on-bare-metal",
        "The NVIDIA device plugin is deployed on bare-metal clusters only.",
        gpu_plugin_only_on_bare_metal,
        MANDATORY,
    ),
    ResourceValidationPolicy(
        "no-nfs-workspace-volumes",
        "Workspace volumes are not on NFS-backed storage classes.",
        no_nfs_workspace_volumes,
        MANDATORY,
        schema("no-nfs-workspace-volumes"),
    ),
    ResourceValidationPolicy(
        "images-pinned",
        "Every image, the workspaces' inner images too, has an explicit tag that is not 'latest' (or a digest).",
        images_pinned,
        MANDATORY,
        schema("images-pinned"),
    ),
    StackValidationPolicy(
        "cvm-minor-held",
        "Clouds never move a CVM cluster's minor by themselves; AKS node images change inside a window.",
        minor_held,
        MANDATORY,
    ),
    ResourceValidationPolicy(
        "node-metadata-protected",
        "Pods on CVM nodes cannot reach the node's credentials: GKE_METADATA, EKS IMDSv2 with hop limit 1.",
        node_metadata_protected,
        MANDATORY,
    ),
    ResourceValidationPolicy(
        "network-policy-enforced",
        "Each managed cluster enforces NetworkPolicy (GKE Dataplane V2, AKS Cilium, EKS VPC CNI).",
        network_policy_enforced,
        # advisory: a GKE cluster made before cvm set Dataplane V2 keeps its datapath (docs/operations.md)
        EnforcementLevel.ADVISORY,
    ),
    ResourceValidationPolicy(
        "cluster-deletion-protection",
        "Clusters are protected from deletion.",
        cluster_deletion_protection,
        EnforcementLevel.ADVISORY,
    ),
]
