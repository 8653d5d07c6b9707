"""The stack's settings: Pulumi config in, one validated `Settings` object out.

Pure: `load_settings` takes the config as plain strings (what `pulumi config` stores) and returns the typed
settings or raises `SettingsError` listing every problem, each with its key, the value given and what is
accepted. Rules that involve several keys live in validators that see the keys already validated, so a config
with several problems reports all of them in one go.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import yaml
from packaging.version import Version
from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    NonNegativeInt,
    PositiveInt,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails, PydanticCustomError

from components import node_sizes, versions

NAMESPACE = "cvm"
CANARY_NAME = "cvm-canary"
Platform = Literal["gke", "aks", "eks", "baremetal"]
CLOUDS: tuple[str, ...] = ("gke", "aks", "eks")

# The value of a finding about a key that is not set.
ABSENT: Any = object()
# A problem found while validating: where (a path below the field that found it), the value, and why.
Finding = tuple[tuple[str | int, ...], Any, str]


def _refuse(reason: str) -> PydanticCustomError:
    """One problem, with the reason as its whole message."""
    return PydanticCustomError("cvm_rule", "{reason}", {"reason": reason})


def _raise(findings: Iterable[Finding]) -> None:
    """Report several problems from one validator; pydantic merges them with the other fields' errors."""
    details = [InitErrorDetails(type=_refuse(reason), loc=loc, input=value) for loc, value, reason in findings]
    if details:
        raise ValidationError.from_exception_data("Settings", details)


def _check(predicate: Any, reason: str) -> AfterValidator:
    def validate(value: Any) -> Any:
        if not predicate(value):
            raise _refuse(reason)
        return value

    return AfterValidator(validate)


def _one_of(choices: Iterable[str], reason: str) -> AfterValidator:
    allowed = tuple(choices)
    accepted = ", ".join(f"'{c}'" for c in allowed)
    return _check(lambda value: value in allowed, f"{reason}; accepted: {accepted}")


# --- value types ----------------------------------------------------------------------------------------

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _dns_label(limit: int, why: str = "") -> AfterValidator:
    return _check(
        lambda s: bool(_DNS_LABEL.match(s)) and len(s) <= limit,
        f"must be a DNS label of at most {limit} characters: lowercase letters, digits and '-', starting and "
        f"ending with a letter or digit{why}",
    )


DnsLabel = Annotated[str, _dns_label(63)]
# A workspace's volume is `<name>-home`, which must stay a DNS label too.
WorkspaceName = Annotated[str, _dns_label(58, ", so that its volume '<name>-home' is one too")]
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
NodeName = Annotated[
    str,
    _check(
        lambda s: bool(_DNS_SUBDOMAIN.match(s)) and len(s) <= 253,
        "must be a Kubernetes node name (a DNS subdomain: lowercase letters, digits, '-' and '.')",
    ),
]

# registry/path[:tag][@sha256:digest], as the distribution reference grammar has it (lower-case paths).
_IMAGE = re.compile(
    r"^(?P<name>(?:[a-zA-Z0-9.-]+(?::\d+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?P<digest>sha256:[a-f0-9]{64}))?$"
)


def pinned_image(reference: str) -> bool:
    """True for an image reference with an explicit tag other than `latest`, or a digest."""
    match = _IMAGE.match(reference)
    if not match:
        return False
    return bool(match["digest"]) or (match["tag"] is not None and match["tag"] != "latest")


Image = Annotated[
    str,
    _check(
        pinned_image,
        "must be an image reference pinned to an explicit released tag or a digest "
        "(for example 'ghcr.io/coder/envbox:0.6.7'); untagged and ':latest' are refused",
    ),
]

_QUANTITY = re.compile(r"^(\d+(\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")


def _positive_quantity(text: str) -> bool:
    match = _QUANTITY.match(text)
    return match is not None and float(match[1]) > 0


Quantity = Annotated[
    str,
    _check(
        _positive_quantity,
        "must be a positive Kubernetes quantity such as '4Gi', '512Mi' or '20G'",
    ),
]
_LINUX_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
UserName = Annotated[
    str,
    _check(lambda s: bool(_LINUX_USER.match(s)), "must be a Linux user name such as 'coder' (lowercase, at most 32)"),
]

# Storage that envbox cannot put its overlayfs on ("CVMs do not support NFS volumes", coder/envbox
# dockerutil/image.go): NFS CSI and nfs-subdir provisioner classes, GKE Filestore (its built-in classes end in
# -rwx), AWS EFS and Azure Files over NFS.
_NFS_CLASS = re.compile(r"nfs|efs|filestore|-rwx$", re.IGNORECASE)


def nfs_backed(storage_class: str) -> bool:
    """Whether a StorageClass's name says it is NFS-backed (the policy pack checks live objects with it too)."""
    return bool(_NFS_CLASS.search(storage_class))


StorageClassName = Annotated[
    str,
    _check(
        lambda s: bool(_DNS_SUBDOMAIN.match(s)),
        "must be the name of a StorageClass (a DNS subdomain)",
    ),
    _check(
        lambda s: not nfs_backed(s),
        "looks NFS-backed (NFS CSI, GKE Filestore, AWS EFS, Azure Files NFS), and CVM workspace volumes cannot "
        "be on NFS (coder/envbox: 'CVMs do not support NFS volumes'); use a block-storage class",
    ),
]


def _minor(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"\d+\.\d+", value.strip()):
        return Version(value.strip())
    if isinstance(value, Version):
        return value
    raise _refuse("must be a 'MAJOR.MINOR' string such as '1.35'")


KubernetesMinor = Annotated[Version, BeforeValidator(_minor)]


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, frozen=True, arbitrary_types_allowed=True, validate_default=True
    )


# --- sections -------------------------------------------------------------------------------------------


def _four_vcpus(vcpus_of: Callable[[str], int | None]) -> AfterValidator:
    """Refuse a size whose name says it has fewer vCPUs than Sysbox asks for (see node_sizes)."""

    def validate(size: str) -> str:
        vcpus = vcpus_of(size)
        if vcpus is not None and vcpus < node_sizes.MIN_VCPUS:
            raise _refuse(f"has {vcpus} vCPU; CVM nodes need at least {node_sizes.MIN_VCPUS} (Sysbox install docs)")
        return size

    return AfterValidator(validate)


class Gke(Model):
    project: str | None = None
    location: str
    machine_type: Annotated[str, _four_vcpus(node_sizes.gke_vcpus)] = "n2-standard-4"
    node_count: PositiveInt = 2
    deletion_protection: bool = True


class Aks(Model):
    location: str
    resource_group_name: str | None = None
    vm_size: Annotated[str, _four_vcpus(node_sizes.aks_vcpus)] = "Standard_D4s_v5"
    node_count: PositiveInt = 2


class Eks(Model):
    region: str | None = None
    instance_type: Annotated[str, _four_vcpus(node_sizes.eks_vcpus)] = "m6i.xlarge"
    desired_size: PositiveInt = 2
    min_size: PositiveInt = 1
    max_size: PositiveInt = 4
    ubuntu_version: Annotated[str, _one_of(versions.EKS_UBUNTU, "must be an Ubuntu release that Sysbox supports")] = (
        versions.DEFAULT_EKS_UBUNTU
    )

    @field_validator("max_size")
    @classmethod
    def _ordered(cls, value: int, info: ValidationInfo) -> int:
        low, desired = info.data.get("min_size"), info.data.get("desired_size")
        if low is not None and desired is not None and not low <= desired <= value:
            raise _refuse(f"needs minSize ({low}) <= desiredSize ({desired}) <= maxSize")
        return value


class Baremetal(Model):
    kubeconfig: SecretStr | None = None
    context: str | None = None
    nodes: list[NodeName] = []
    gpu_nodes: list[NodeName] = []

    @field_validator("kubeconfig")
    @classmethod
    def _is_kubeconfig(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not kubeconfig_contexts(value.get_secret_value()):
            raise _refuse("must be the text of a kubeconfig with at least one context")
        return value

    @field_validator("context")
    @classmethod
    def _context_exists(cls, value: str | None, info: ValidationInfo) -> str | None:
        kubeconfig = info.data.get("kubeconfig")
        if value is not None and kubeconfig is not None:
            contexts = kubeconfig_contexts(kubeconfig.get_secret_value())
            if value not in contexts:
                raise _refuse(f"is not a context of cvm:baremetal.kubeconfig: {sorted(contexts)}")
        return value

    @field_validator("nodes", "gpu_nodes")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        _raise(((i,), name, "is listed twice") for i, name in enumerate(value) if name in value[:i])
        return value


def kubeconfig_contexts(text: str) -> set[str]:
    """The context names of a kubeconfig; empty when the text is not one."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return set()
    if not isinstance(document, dict) or not isinstance(document.get("contexts"), list):
        return set()
    return {c["name"] for c in document["contexts"] if isinstance(c, dict) and isinstance(c.get("name"), str)}


class Sysbox(Model):
    enabled: bool = True
    version: Annotated[str, _one_of(versions.SYSBOX_RELEASES, "is not a pinned Sysbox CE release")] = (
        versions.DEFAULT_SYSBOX
    )

    @property
    def release(self) -> versions.SysboxRelease:
        return versions.SYSBOX_RELEASES[self.version]


class Gpu(Model):
    enabled: bool = False
    vendor: str = "nvidia"
    device_plugin_version: str = versions.NVIDIA_DEVICE_PLUGIN_VERSION

    @field_validator("vendor")
    @classmethod
    def _nvidia_only(cls, value: str) -> str:
        if value != "nvidia":
            raise _refuse("only 'nvidia' is accepted: CVMs do not support AMD or other GPUs (Coder CVM docs)")
        return value

    @field_validator("device_plugin_version")
    @classmethod
    def _release_tag(cls, value: str) -> str:
        if not re.fullmatch(r"v\d+\.\d+\.\d+", value):
            raise _refuse("must be a released NVIDIA/k8s-device-plugin tag such as 'v0.20.0'")
        return value


class Workspace(Model):
    name: WorkspaceName
    image: Image
    username: UserName = "coder"
    runtime: Literal["envbox", "sysbox-runc"] = "envbox"
    cpus: PositiveInt = 2
    memory: Quantity = "4Gi"
    disk: Quantity = "20Gi"
    gpus: NonNegativeInt = 0
    agent_token: SecretStr | None = None

    @field_validator("gpus")
    @classmethod
    def _gpus_need_envbox(cls, value: int, info: ValidationInfo) -> int:
        if value and info.data.get("runtime") == "sysbox-runc":
            raise _refuse("GPU workspaces must use runtime 'envbox': Sysbox has no GPU support (nestybox/sysbox#50)")
        return value


class Supervisor(Model):
    namespace: DnsLabel = "cvm-workspaces"
    envbox_image: Image = versions.ENVBOX_IMAGE
    storage_class: StorageClassName | None = None
    coder_url: AnyHttpUrl | None = None
    canary: bool = True
    workspaces: list[Workspace] = []

    @field_validator("workspaces")
    @classmethod
    def _consistent(cls, value: list[Workspace], info: ValidationInfo) -> list[Workspace]:
        canary, coder_url = info.data.get("canary"), info.data.get("coder_url")
        findings: list[Finding] = []
        seen: set[str] = set()
        for i, workspace in enumerate(value):
            if workspace.name in seen:
                findings.append(((i, "name"), workspace.name, "is used by another workspace; names must be unique"))
            if canary and workspace.name == CANARY_NAME:
                findings.append(((i, "name"), workspace.name, "is the canary's name; pick another or set canary false"))
            seen.add(workspace.name)
            if coder_url is not None and workspace.agent_token is None:
                findings.append(
                    ((i, "agentToken"), ABSENT, "is required (set it with --secret) because supervisor.coderUrl is set")
                )
            if coder_url is None and workspace.agent_token is not None:
                findings.append(((i, "agentToken"), "(secret)", "needs supervisor.coderUrl, the Coder it talks to"))
        _raise(findings)
        return value

    @property
    def coder_url_text(self) -> str | None:
        return str(self.coder_url) if self.coder_url is not None else None


# --- the whole -------------------------------------------------------------------------------------------

# Cluster names each cloud's API accepts (GKE clusters.create, AKS resource naming rules, EKS CreateCluster).
_CLUSTER_NAME: dict[str, tuple[re.Pattern[str], str]] = {
    "gke": (
        re.compile(r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$"),
        "1-40 lowercase letters, digits and '-', starting with a letter",
    ),
    "aks": (re.compile(r"^[A-Za-z0-9]([-_A-Za-z0-9]{0,61}[A-Za-z0-9])?$"), "1-63 letters, digits, '-' and '_'"),
    "eks": (re.compile(r"^[A-Za-z0-9][-_A-Za-z0-9]{0,99}$"), "1-100 letters, digits, '-' and '_'"),
    "baremetal": (
        re.compile(r"^[A-Za-z0-9]([-_.A-Za-z0-9]{0,61}[A-Za-z0-9])?$"),
        "1-63 letters, digits, '-', '_' and '.'",
    ),
}


class Settings(Model):
    # Fields come in dependency order: a validator sees the fields above it that validated.
    platform: Platform
    sysbox: Sysbox = Sysbox()
    kubernetes_version: KubernetesMinor = Version(versions.DEFAULT_KUBERNETES)
    cluster_name: str | None = None
    gpu: Gpu = Gpu()
    gke: Gke | None = None
    aks: Aks | None = None
    eks: Eks | None = None
    baremetal: Baremetal | None = None
    supervisor: Supervisor = Supervisor()
    skip_await: bool = False

    @field_validator("kubernetes_version")
    @classmethod
    def _inside_windows(cls, value: Version, info: ValidationInfo) -> Version:
        platform, sysbox = info.data.get("platform"), info.data.get("sysbox")
        findings: list[Finding] = []
        if platform is not None:
            support = versions.PLATFORMS[platform]
            accepted = tuple(m for m in support.kubernetes if m >= support.floor)
            if value not in accepted:
                findings.append(((), str(value), f"{platform} offers {versions.span(accepted)} ({support.source})"))
        if sysbox is not None and sysbox.enabled and value not in sysbox.release.kubernetes:
            release = sysbox.release
            others = [r.version for r in versions.SYSBOX_RELEASES.values() if value in r.kubernetes]
            advice = f"; Sysbox {', '.join(others)} accepts it" if others else "; no pinned Sysbox release accepts it"
            findings.append(
                (
                    (),
                    str(value),
                    f"Sysbox {release.version} accepts Kubernetes {versions.span(release.kubernetes)} only, its "
                    f"installer refuses any other ({release.source}){advice}",
                )
            )
        if findings and len(str(value.minor)) == 1:
            # YAML reads an unquoted 1.30 as the number 1.3
            findings = [
                (loc, given, f"{reason}; did you mean '{value}0'? Quote it in YAML") for loc, given, reason in findings
            ]
        _raise(findings)
        return value

    @field_validator("cluster_name")
    @classmethod
    def _named(cls, value: str | None, info: ValidationInfo) -> str | None:
        platform = info.data.get("platform")
        stack = (info.context or {}).get("stack", "dev")
        name = value if value is not None else f"cvm-{stack}"
        if platform is not None:
            pattern, accepted = _CLUSTER_NAME[platform]
            if not pattern.match(name):
                origin = "" if value is not None else f" (the default, from stack '{stack}'; set cvm:clusterName)"
                _raise([((), name, f"is not a valid {platform} cluster name{origin}: {accepted}")])
        return name

    @field_validator("gpu")
    @classmethod
    def _bare_metal_gpus(cls, value: Gpu, info: ValidationInfo) -> Gpu:
        platform = info.data.get("platform")
        if value.enabled and platform in CLOUDS:
            _raise(
                [
                    (
                        ("enabled",),
                        True,
                        f"GPUs in CVMs are supported on bare metal only, not on {platform} "
                        "(Coder CVM docs); use platform 'baremetal'",
                    )
                ]
            )
        return value

    @field_validator("gke", "aks", "eks", "baremetal")
    @classmethod
    def _section_matches_platform(cls, value: Model | None, info: ValidationInfo) -> Model | None:
        platform, section = info.data.get("platform"), info.field_name
        if platform is None:
            return value
        if value is not None and section != platform:
            _raise([((), ABSENT, f"applies to platform '{section}', but platform is '{platform}'; remove it")])
        if value is None and section == platform and section in ("gke", "aks"):
            _raise([(("location",), ABSENT, f"is required when platform is '{platform}'")])
        if section == "baremetal" and platform == "baremetal" and value is None:
            value = Baremetal()
        if isinstance(value, Eks):
            _raise(_eks_ubuntu(value, info.data.get("kubernetes_version")))
        if isinstance(value, Baremetal):
            gpu = info.data.get("gpu")
            if gpu is not None and gpu.enabled and not value.gpu_nodes:
                _raise([(("gpuNodes",), [], "must list the NVIDIA GPU nodes when gpu.enabled is true")])
        return value

    @field_validator("supervisor")
    @classmethod
    def _workspaces_fit_cluster(cls, value: Supervisor, info: ValidationInfo) -> Supervisor:
        sysbox, gpu = info.data.get("sysbox"), info.data.get("gpu")
        findings: list[Finding] = []
        for i, workspace in enumerate(value.workspaces):
            if sysbox is not None and not sysbox.enabled and workspace.runtime == "sysbox-runc":
                findings.append(
                    (
                        ("workspaces", i, "runtime"),
                        workspace.runtime,
                        "needs sysbox.enabled; use 'envbox' or enable Sysbox",
                    )
                )
            if gpu is not None and workspace.gpus and not gpu.enabled:
                findings.append(
                    (("workspaces", i, "gpus"), workspace.gpus, "needs gpu.enabled (bare metal with NVIDIA GPU nodes)")
                )
        _raise(findings)
        return value

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
    first, last = versions.EKS_UBUNTU[eks.ubuntu_version]
    if minor < first or (last is not None and minor > last):
        window = f"{first}-{last}" if last else f">= {first}"
        return [
            (
                ("ubuntuVersion",),
                eks.ubuntu_version,
                f"Canonical's Ubuntu {eks.ubuntu_version} EKS AMI exists for Kubernetes {window}, not {minor} "
                "(eksctl pkg/ami/ssm_resolver.go)",
            )
        ]
    return []


# --- loading and reporting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    key: str
    value: Any
    reason: str

    def __str__(self) -> str:
        given = "" if self.value is ABSENT else f" = {self.value!r}"
        return f"{self.key}{given}: {self.reason}"


class SettingsError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"the {NAMESPACE} configuration has {count}:\n" + "\n".join(f"  - {p}" for p in problems))


_OBJECT_KEYS = frozenset(("gke", "aks", "eks", "baremetal", "sysbox", "gpu", "supervisor"))
_SECRET_FIELDS = {"baremetal": ("kubeconfig",), "supervisor": ("agentToken",)}
# Other packages' config that stands in for a missing cvm key (DESIGN.md).
_FALLBACKS = {("gke", "project"): "gcp:project", ("eks", "region"): "aws:region"}


def stored_config(config: Mapping[str, Any]) -> dict[str, str]:
    """Config as `pulumi config` stores it and `load_settings` reads it: full keys (`cvm:` added where a key
    has no namespace), objects as JSON, booleans as `true`/`false`, everything else as its string."""
    return {
        (key if ":" in key else f"{NAMESPACE}:{key}"): json.dumps(value)
        if isinstance(value, (dict, list))
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
        for key, value in config.items()
    }


def load_settings(config: Mapping[str, str], stack: str, secret_keys: Collection[str] = ()) -> Settings:
    """Validate a stack's config (full keys such as 'cvm:platform' -> stored string) into `Settings`."""
    problems: list[Problem] = []
    raw: dict[str, Any] = {}
    for full_key, text in config.items():
        namespace, _, key = full_key.partition(":")
        if namespace != NAMESPACE:
            continue
        if key in _OBJECT_KEYS:
            try:
                raw[key] = json.loads(text)
            except (TypeError, ValueError):
                problems.append(
                    Problem(full_key, text, "must be an object; set its fields with `pulumi config set --path`")
                )
        else:
            raw[key] = text
    for (section, field), fallback in _FALLBACKS.items():
        if isinstance(raw.get(section), dict) and field not in raw[section] and fallback in config:
            raw[section] = {**raw[section], field: config[fallback]}
    problems += _plaintext_secrets(raw, secret_keys)
    try:
        settings = Settings.model_validate(raw, context={"stack": stack})
    except ValidationError as error:
        problems += [_problem(e) for e in error.errors(include_url=False)]
        raise SettingsError(problems) from None
    if problems:
        raise SettingsError(problems)
    return settings


def _plaintext_secrets(raw: Mapping[str, Any], secret_keys: Collection[str]) -> list[Problem]:
    """Credentials must be stored encrypted: `pulumi config set --secret --path ...`."""
    found = []
    for section, fields in _SECRET_FIELDS.items():
        value = raw.get(section)
        if not isinstance(value, dict) or f"{NAMESPACE}:{section}" in secret_keys:
            continue
        items = value.get("workspaces", []) if section == "supervisor" else [value]
        for i, item in enumerate(items if isinstance(items, list) else []):
            for field in fields:
                if isinstance(item, dict) and field in item:
                    path = f"workspaces[{i}].{field}" if section == "supervisor" else field
                    found.append(
                        Problem(f"{NAMESPACE}:{section}.{path}", "(plaintext)", "is a credential: set it with --secret")
                    )
    return found


def key_of(loc: Iterable[str | int]) -> str:
    """('supervisor', 'workspaces', 0, 'name') -> 'cvm:supervisor.workspaces[0].name'."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return f"{NAMESPACE}:{path}"


def _problem(error: Any) -> Problem:
    loc, _ = _aliased(tuple(error["loc"]))
    value = error.get("input", ABSENT)
    if value is not ABSENT and any(part in ("kubeconfig", "agentToken") for part in loc):
        value = "(secret)"
    kind = error["type"]
    if kind == "missing":
        return Problem(key_of(loc), ABSENT, "is required")
    if kind == "extra_forbidden":
        accepted = ", ".join(sorted(_aliased(loc[:-1])[1]))
        return Problem(key_of(loc), ABSENT, f"is not a setting; accepted here: {accepted}")
    return Problem(key_of(loc), value, error["msg"])


def _aliased(loc: tuple[str | int, ...]) -> tuple[tuple[str | int, ...], list[str]]:
    """`loc` spelled with config keys (pydantic reports defaults by field name), and the keys accepted at its end."""
    model: type[BaseModel] | None = Settings
    spelled: list[str | int] = []
    for part in loc:
        if isinstance(part, int) or model is None:
            spelled.append(part)
            continue
        field = model.model_fields.get(part) or next((f for f in model.model_fields.values() if f.alias == part), None)
        spelled.append(field.alias or part if field else part)
        model = _model_in(field.annotation) if field else None
    accepted = [f.alias or name for name, f in model.model_fields.items()] if model else []
    return tuple(spelled), accepted


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


__all__ = ["Problem", "Settings", "SettingsError", "key_of", "load_settings", "pinned_image"]
