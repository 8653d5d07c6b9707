"""The config's sections (`cvm:gke`, `cvm:supervisor`, ...) with the rules that stay inside one section.

A validator sees only the fields declared above its own (`info.data`), so fields come in dependency order. A rule
that spans a section's entries or needs a whole section (`reaches_a_cluster`, `across_workspaces`) is a plain
function that settings.py runs on whatever validated, so that another field's failure does not hide it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel

from components.config.checks import ABSENT, SECRET, UNKNOWN, Finding, check, one_of, refuse, report
from components.config.urls import CoderUrl
from components.config.values import (
    MAX_CPUS,
    MAX_GPUS,
    MAX_INNER_ENV_BYTES,
    MAX_NODES,
    AmiId,
    AwsProfile,
    AwsRegion,
    AwsSubnetId,
    AwsVpcId,
    AzureLocation,
    AzureResourceGroup,
    AzureSubnetId,
    BridgeCidr,
    ContextName,
    Count,
    Disk,
    EnvName,
    GcpLocation,
    GcpProject,
    GcpResourceName,
    IamRoleArn,
    Image,
    MachineType,
    Memory,
    NodeName,
    ObjectName,
    StorageClassName,
    UserName,
    WorkspaceName,
    WorkspaceNamespace,
)
from components.facts import compatibility, issues, node_sizes, pins
from components.facts.runtimes import Runtime
from components.kube import kubeconfig
from components.kube.names import CANARY_NAME

NodeCount = Annotated[Count, Field(ge=1, le=MAX_NODES)]


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, frozen=True, arbitrary_types_allowed=True, validate_default=True
    )


def _hh_mm(text: str) -> bool:
    return bool(re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", text))


def _four_vcpus(vcpus_of: Callable[[str], int | None]) -> AfterValidator:
    """Refuse a size whose name says it has fewer vCPUs than Sysbox asks for (see node_sizes)."""

    def validate(size: str) -> str:
        vcpus = vcpus_of(size)
        if vcpus is not None and vcpus < node_sizes.MIN_VCPUS:
            raise refuse(f"has {vcpus} vCPU; CVM nodes need at least {node_sizes.MIN_VCPUS} (Sysbox install docs)")
        return size

    return AfterValidator(validate)


class Gke(Model):
    project: GcpProject | None = None
    location: GcpLocation
    machine_type: Annotated[MachineType, _four_vcpus(node_sizes.gke_vcpus)] = "n2-standard-4"
    # the pool's total; on a regional location it is spread over GKE's three zones (clusters/gke.py per_zone)
    node_count: NodeCount = 2
    deletion_protection: bool = True
    # an existing VPC network and subnetwork (names or self links); unset: the project's `default` network
    network: GcpResourceName | None = None
    subnetwork: GcpResourceName | None = None


Weekday = Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class Aks(Model):
    location: AzureLocation
    resource_group_name: AzureResourceGroup | None = None
    vm_size: Annotated[MachineType, _four_vcpus(node_sizes.aks_vcpus)] = "Standard_D4s_v5"
    node_count: NodeCount = 2
    # an existing subnet (its resource ID) for both pools; unset: AKS makes its own virtual network
    subnet_id: AzureSubnetId | None = None
    # the weekly window (UTC) in which AKS patches the cluster and reimages the nodes; AKS wants >= 4 hours
    # (AKS planned-maintenance docs, aksManagedNodeOSUpgradeSchedule)
    maintenance_day: Weekday = "Saturday"
    maintenance_start: Annotated[str, check(_hh_mm, "must be a time 'HH:MM' (UTC), such as '02:00'")] = "02:00"
    maintenance_hours: Annotated[Count, Field(ge=4, le=24)] = 4
    # AKS Long Term Support (Premium tier, at extra cost): the minor stays supported and creatable for two years
    # from GA instead of one (clusters/aks.py LONG_TERM_SUPPORT)
    long_term_support: bool = False


class Eks(Model):
    region: AwsRegion | None = None
    # the credentials the explicit aws provider and the kubeconfig use (else aws:profile, aws:assumeRoles)
    profile: AwsProfile | None = None
    assume_role_arn: IamRoleArn | None = None
    instance_type: Annotated[MachineType, _four_vcpus(node_sizes.eks_vcpus)] = "m6i.xlarge"
    desired_size: NodeCount = 2
    min_size: NodeCount = 1
    max_size: NodeCount = 4
    ubuntu_version: Annotated[
        str,
        one_of(
            compatibility.NODE_IMAGES["eks"], "must be an Ubuntu release with Canonical EKS AMIs that Sysbox supports"
        ),
    ] = compatibility.DEFAULT_EKS_UBUNTU
    # the CVM nodes' AMI, pinned; unset: Canonical's current image, resolved once and kept (clusters/eks.py)
    ami_id: AmiId | None = None
    # the CVM nodes' root disk in GiB (gp3, encrypted): Sysbox, its CRI-O and every workspace image live there
    # (clusters/eks.py ROOT_DEVICE); EBS gp3 takes 1-16384 GiB, 30 holds little more than the AMI
    root_volume_size: Annotated[int, Field(ge=30, le=16384)] = 100
    # an existing VPC and its subnets; unset: the region's default VPC
    vpc_id: AwsVpcId | None = None
    private_subnet_ids: list[AwsSubnetId] = []
    public_subnet_ids: list[AwsSubnetId] = []

    @field_validator("max_size")
    @classmethod
    def _ordered(cls, value: int, info: ValidationInfo) -> int:
        low, desired = info.data.get("min_size"), info.data.get("desired_size")
        if low is not None and desired is not None and not low <= desired <= value:
            raise refuse(f"needs minSize ({low}) <= desiredSize ({desired}) <= maxSize")
        return value


class Baremetal(Model):
    kubeconfig: SecretStr | None = None
    context: ContextName | None = None
    nodes: list[NodeName] = []
    gpu_nodes: list[NodeName] = []

    @field_validator("kubeconfig")
    @classmethod
    def _is_kubeconfig(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not kubeconfig.contexts(value.get_secret_value()):
            found = kubeconfig.problem(value.get_secret_value()) or "has no context"
            raise refuse(f"must be the text of a kubeconfig with at least one context; it {found}")
        return value

    @field_validator("context")
    @classmethod
    def _context_exists(cls, value: str | None, info: ValidationInfo) -> str | None:
        text = info.data.get("kubeconfig")
        if value is not None and text is not None:
            contexts = kubeconfig.contexts(text.get_secret_value())
            if value not in contexts:
                raise refuse(f"is not a context of cvm:baremetal.kubeconfig: {sorted(contexts)}")
        return value

    @field_validator("nodes", "gpu_nodes")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        report(((i,), name, "is listed twice") for i, name in enumerate(value) if name in value[:i])
        return value


def reaches_a_cluster(text: SecretStr | None, context: str | None) -> list[Finding]:
    """The context a bare-metal stack uses (`context`, else the kubeconfig's current one) must name a cluster with
    a server and a user: otherwise it would be exported as the stack's kubeconfig and fail only at the first
    request. Findings are below `baremetal`; a rule across keys, run on them once each validated."""
    document = kubeconfig.parse(text.get_secret_value()) if text is not None else None
    chosen = context or (document or {}).get("current-context")
    if document is not None and isinstance(chosen, str) and chosen in kubeconfig.context_names(document):
        found = kubeconfig.incomplete(document, chosen)
        if found is not None:
            where = (("context",), context) if context else (("kubeconfig",), SECRET)
            return [(*where, f"is unusable: {found}")]
    return []


class Sysbox(Model):
    enabled: bool = True
    version: Annotated[str, one_of(pins.SYSBOX_RELEASES, "is not a pinned Sysbox CE release")] = pins.DEFAULT_SYSBOX
    # open upstream issues the stack runs into knowingly (facts/issues.py); the settings refuse the others
    accept_known_issues: list[Annotated[str, one_of(issues.ISSUES, "is not a known Sysbox issue")]] = []
    # copy the installer's sysbox-runc runtime to where containerd 2.x reads it (components/cvm/containerd_fix.py)
    containerd_fix: bool = False

    @property
    def release(self) -> pins.SysboxRelease:
        return pins.SYSBOX_RELEASES[self.version]


class Gpu(Model):
    enabled: bool = False
    vendor: str = "nvidia"
    device_plugin_version: str = pins.NVIDIA_DEVICE_PLUGIN_VERSION

    @field_validator("vendor")
    @classmethod
    def _nvidia_only(cls, value: str) -> str:
        if value != "nvidia":
            raise refuse("only 'nvidia' is accepted: CVMs do not support AMD or other GPUs (Coder CVM docs)")
        return value

    @field_validator("device_plugin_version")
    @classmethod
    def _release_tag(cls, value: str) -> str:
        if not re.fullmatch(r"v[0-9]+\.[0-9]+\.[0-9]+", value):
            raise refuse("must be a released NVIDIA/k8s-device-plugin tag such as 'v0.20.0'")
        return value


_TOKEN = re.compile(r"[!-~]+")


class Workspace(Model):
    name: WorkspaceName
    image: Image
    username: UserName = "coder"
    runtime: Runtime = Runtime.ENVBOX
    cpus: Annotated[Count, Field(ge=1, le=MAX_CPUS)] = 2
    memory: Memory = "4Gi"
    disk: Disk = "20Gi"
    gpus: Annotated[Count, Field(ge=0, le=MAX_GPUS)] = 0
    agent_token: SecretStr | None = None
    # envbox's own options for the inner container (coder/envbox 0.6.7 README)
    fuse: bool = False
    tun: bool = False
    inner_env: dict[EnvName, Annotated[str, Field(max_length=4096)]] = {}
    # like inner_env, but credentials: kept in the workspace's Secret, reaching the pod through `secretKeyRef`
    secret_env: dict[EnvName, Annotated[SecretStr, Field(max_length=4096)]] = {}

    @field_validator("agent_token")
    @classmethod
    def _a_token_as_coder_gives_it(cls, value: SecretStr | None) -> SecretStr | None:
        # the agent sends it in a header: printable ASCII and nothing else (Coder's agent tokens are UUIDs);
        # `pulumi config set --secret <key> < file` keeps the file's newline, which Coder would refuse (issue 34)
        text = value.get_secret_value() if value is not None else None
        if text is not None and not _TOKEN.fullmatch(text):
            found = "is empty" if not text.strip() else "holds whitespace or a character outside printable ASCII"
            raise refuse(f"{found}: set the token itself (a file's trailing newline counts)")
        return value

    @field_validator("gpus")
    @classmethod
    def _gpus_need_envbox(cls, value: int, info: ValidationInfo) -> int:
        if value and info.data.get("runtime") == Runtime.SYSBOX_RUNC:
            envbox = Runtime.ENVBOX
            raise refuse(f"GPU workspaces must use runtime '{envbox}': Sysbox has no GPU support (nestybox/sysbox#50)")
        return value

    @field_validator("inner_env", "secret_env")
    @classmethod
    def _fits_the_deployment(cls, value: dict[str, Any]) -> dict[str, Any]:
        size = sum(len(name.encode()) + len(_text(v).encode()) for name, v in value.items())
        if size > MAX_INNER_ENV_BYTES:
            limit = MAX_INNER_ENV_BYTES // 1024
            raise refuse(
                f"holds {size} bytes of names and values, more than {limit} KiB: the workspace's "
                "Deployment (or Secret) must stay under the API server's request limit (etcd's 1.5 MiB)"
            )
        return value

    @field_validator("secret_env")
    @classmethod
    def _one_value_each(cls, value: dict[str, SecretStr], info: ValidationInfo) -> dict[str, SecretStr]:
        plain = info.data.get("inner_env") or {}
        report(((name,), SECRET, "is set in innerEnv too; give each variable once") for name in value if name in plain)
        return value

    @field_validator("fuse", "tun", "inner_env", "secret_env")
    @classmethod
    def _envbox_options(cls, value: Any, info: ValidationInfo) -> Any:
        if value and info.data.get("runtime") == Runtime.SYSBOX_RUNC:
            raise refuse("is an envbox option (its inner container); a sysbox-runc workspace is the container itself")
        return value


def _text(value: Any) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


def across_workspaces(
    entries: Sequence[tuple[Any, bool | None]], *, canary: bool, coder_url: bool | None
) -> list[Finding]:
    """The rules across the workspace list, on each entry's name and whether it has an agent token, as far as they
    validated (a name `UNKNOWN`, a token None: that entry's key failed; `coder_url` None: its own key failed)."""
    findings: list[Finding] = []
    seen: set[Any] = set()
    for i, (name, has_token) in enumerate(entries):
        if name is not UNKNOWN:
            if name in seen:
                findings.append(((i, "name"), name, "is used by another workspace; names must be unique"))
            if canary and name == CANARY_NAME:
                findings.append(((i, "name"), name, "is the canary's name; pick another or set canary false"))
            seen.add(name)
        if coder_url is True and has_token is False:
            reason = "is required (set it with --secret) because supervisor.coderUrl is set"
            findings.append(((i, "agentToken"), ABSENT, reason))
        if coder_url is False and has_token is True:
            findings.append(((i, "agentToken"), SECRET, "needs supervisor.coderUrl, the Coder it talks to"))
    return findings


class Supervisor(Model):
    namespace: WorkspaceNamespace = "cvm-workspaces"
    envbox_image: Image = pins.ENVBOX_IMAGE
    storage_class: StorageClassName | None = None
    coder_url: CoderUrl | None = None
    # envbox's options, for every envbox workspace: objects the operator makes in <namespace>-envbox
    image_pull_secret: ObjectName | None = None  # a kubernetes.io/dockerconfigjson Secret for private inner images
    ca_certificates: ObjectName | None = None  # a ConfigMap of PEM files envbox and the agents trust
    docker_bridge_cidr: BridgeCidr | None = None
    canary: bool = True
    workspaces: list[Workspace] = []

    @property
    def coder_url_text(self) -> str | None:
        return str(self.coder_url) if self.coder_url is not None else None
