"""The Coder template of a stack's cluster: `main.tf.json`, whose workspace objects are the ones cvm's workspace
plan lists (components/cvm/workspaces/plan.py), made with Terraform expressions where Coder fills in a
workspace's values.

Laid out as Coder's own template (coder/coder examples/templates/kubernetes-envbox/main.tf at 9a99df5b):
parameters are `coder_parameter` data sources, the agent is `coder_agent.main`, whose `init_script` is envbox's
CODER_BOOTSTRAP_SCRIPT and whose token and `access_url` go beside it, and the workspace's objects are counted by
`start_count`, the home volume not, so that a stopped workspace keeps its home and nothing else. Where it
differs, for cvm's reasons:
- `kubernetes_manifest`, not the provider's typed resources: their pod spec has no `host_users`, which a
  sysbox-runc pod needs (hashicorp/terraform-provider-kubernetes 3.2.1), and a manifest is the builders' output
  as it is.
- A Deployment, as cvm deploys (a pod lost with its node comes back), in the runtime's namespace that the stack
  made (its Pod Security level, guard rails and service account); placement, resources, probes and mounts are
  the builders'.
- The token reaches the pod through a Secret, as in cvm; as `data`, because the provider cannot keep
  `stringData`, which the API server never returns (hashicorp/terraform-provider-kubernetes#1684).
- Objects are named after the workspace's ID, so that names and labels stay unique and within 63 characters
  (Coder's owner and workspace names are up to 32 each).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from components.config import Settings, Supervisor, Workspace
from components.config.values import IMAGE_DIGEST, IMAGE_NAME, IMAGE_TAG, MAX_BYTES, MAX_CPUS
from components.cvm.workspaces import plan
from components.cvm.workspaces.plan import Role
from components.facts import pins
from components.kube import units

from .terraform import interpolation, ref, render

AGENT = "coder_agent.main"
ME = "data.coder_workspace.me"
RUNTIME = "data.coder_parameter.runtime.value"
GIB = 1024**3
# the image parameter: a reference with an explicit tag or a digest (RE2 has no look-ahead to refuse `latest`)
IMAGE_REGEX = f"^{IMAGE_NAME}(?::{IMAGE_TAG}(?:@{IMAGE_DIGEST})?|@{IMAGE_DIGEST})$"


def value(parameter: str) -> str:
    return f"data.coder_parameter.{parameter}.value"


@dataclass(frozen=True)
class TemplateWorkspace:
    """A workspace as the builders read it (inputs.WorkspaceFields), its values filled in by Coder."""

    runtime: str
    name: str = f"coder-{ref(f'{ME}.id')}"
    image: str = ref(value("image"))
    cpus: int | str = ref(value("cpus"))
    memory: str = f"{ref(value('memory'))}Gi"
    disk: str = f"{ref(value('disk'))}Gi"
    username: str = Workspace.model_fields["username"].default
    gpus: int = 0
    agent_token: SecretStr | None = field(default_factory=lambda: SecretStr(ref(f"{AGENT}.token")))
    fuse: bool = False
    tun: bool = False
    inner_env: Mapping[str, str] = field(default_factory=dict)
    secret_env: Mapping[str, SecretStr] = field(default_factory=dict)


@dataclass(frozen=True)
class TemplateSupervisor:
    """The stack's supervisor as the builders read it (inputs.SupervisorFields), with Coder's own access URL."""

    namespace: str
    storage_class: str | None
    envbox_image: str
    image_pull_secret: str | None
    ca_certificates: str | None
    docker_bridge_cidr: str | None
    coder_url_text: str | None = ref(f"{ME}.access_url")

    @classmethod
    def of(cls, supervisor: Supervisor) -> TemplateSupervisor:
        return cls(
            namespace=supervisor.namespace,
            storage_class=supervisor.storage_class,
            envbox_image=supervisor.envbox_image,
            image_pull_secret=supervisor.image_pull_secret,
            ca_certificates=supervisor.ca_certificates,
            docker_bridge_cidr=supervisor.docker_bridge_cidr,
        )


def runtimes(settings: Settings) -> dict[str, str]:
    """The runtimes a workspace of this cluster can use, each with its namespace: sysbox-runc where the stack
    installs Sysbox, envbox where it made envbox's namespace (it has an envbox workspace or canary)."""
    made = plan.namespaces(settings.supervisor, settings.sysbox.enabled)
    return {runtime: ns for runtime, ns in made.items() if runtime != "sysbox-runc" or settings.sysbox.enabled}


def workspace_plan(runtime: str, supervisor: Supervisor) -> plan.WorkspacePlan:
    """The plan of one Coder workspace under `runtime`: Coder's init script starts the agent, and the Secret holds
    Coder's token as `data` does, base64 (`_manifest` moves it there)."""
    return plan.workspace(
        TemplateWorkspace(runtime),
        TemplateSupervisor.of(supervisor),
        seal=lambda _: ref(f"base64encode({AGENT}.token)"),
        bootstrap=ref(f"{AGENT}.init_script"),
    )


def resource_name(runtime: str, role: str) -> str:
    return f"{runtime.replace('-', '_')}_{role}"


def _manifest(planned: plan.Planned) -> dict[str, Any]:
    """A planned object as the provider keeps it: a Secret's `stringData` as `data` (see the module's docstring)."""
    made = planned.manifest
    if "stringData" not in made:
        return made
    return {**{k: v for k, v in made.items() if k != "stringData"}, "data": made["stringData"]}


def _resources(settings: Settings) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for runtime in runtimes(settings):
        chosen = f'{RUNTIME} == "{runtime}"'
        # the home volume first: it outlives a stop; everything else exists only while the workspace runs
        made = sorted(workspace_plan(runtime, settings.supervisor).objects, key=lambda p: p.role != Role.HOME)
        for planned in made:
            count = f"{chosen} ? 1 : 0" if planned.role == Role.HOME else f"{chosen} ? {ME}.start_count : 0"
            resource: dict[str, Any] = {"count": interpolation(count), "manifest": render(_manifest(planned))}
            # what it waits for of its workspace's own objects (the stack made the namespace and RuntimeClass)
            waits = [f"kubernetes_manifest.{resource_name(runtime, p.role)}" for p in made if p.role in planned.after]
            if waits:
                resource["depends_on"] = waits
            resources[resource_name(runtime, planned.role)] = resource
    return {"kubernetes_manifest": resources}


def _gib(quantity: str) -> int:
    return int((units.quantity(quantity) or 0) // GIB)


def _parameters(offered: list[str]) -> dict[str, Any]:
    defaults = {name: info.default for name, info in Workspace.model_fields.items()}
    runtime_default = defaults["runtime"] if defaults["runtime"] in offered else offered[0]
    descriptions = {
        "envbox": "envbox: a privileged outer container runs the image under Sysbox (no Sysbox on the node needed)",
        "sysbox-runc": "sysbox-runc: the pod itself runs under the node's Sysbox, unprivileged, systemd as PID 1",
    }
    return {
        "runtime": {
            "display_name": "Runtime",
            "description": "How the CVM runs; fixed at creation, because the home volume lives in its namespace.",
            "type": "string",
            "default": runtime_default,
            "mutable": False,
            "order": 1,
            "option": [{"name": r, "value": r, "description": descriptions[r]} for r in offered],
        },
        "image": {
            "display_name": "Image",
            "description": "The workspace image, pinned to a tag or a digest; it needs /sbin/init (systemd).",
            "type": "string",
            "default": pins.CANARY_IMAGE,
            "mutable": True,
            "order": 2,
            "validation": {"regex": IMAGE_REGEX, "error": "An image reference with an explicit tag or a digest."},
        },
        "cpus": _number("CPUs", "Whole CPUs, requested and limited alike.", defaults["cpus"], MAX_CPUS, 3),
        "memory": _number(
            "Memory (GiB)", "Requested and limited alike.", _gib(defaults["memory"]), MAX_BYTES["memory"] // GIB, 4
        ),
        "disk": _number(
            "Home disk (GiB)",
            "The home volume; it can grow (if its StorageClass allows) but never shrink.",
            _gib(defaults["disk"]),
            MAX_BYTES["disk"] // GIB,
            5,
            monotonic="increasing",
        ),
    }


def _number(display: str, description: str, default: int, most: int, order: int, **rules: str) -> dict[str, Any]:
    return {
        "display_name": display,
        "description": description,
        "type": "number",
        "default": str(default),
        "mutable": True,
        "order": order,
        "validation": {"min": 1, "max": most, **rules},
    }


def main_tf(settings: Settings) -> dict[str, Any]:
    """The template's `main.tf.json`."""
    offered = list(runtimes(settings))
    if not offered:
        raise ValueError(
            f"stack {settings.name} installs no Sysbox (cvm:sysbox.enabled is false) and makes no envbox namespace "
            "(no envbox workspace, cvm:supervisor.canary false): a workspace could run nowhere"
        )
    parameters = _parameters(offered)
    for name, parameter in parameters.items():
        parameter["name"] = name
    return {
        "//": f"Generated by `python -m components.coder_template` from stack {settings.name}; do not edit.",
        "terraform": {
            "required_providers": {
                "coder": {"source": "coder/coder", "version": pins.CODER_PROVIDER_VERSION},
                "kubernetes": {"source": "hashicorp/kubernetes", "version": pins.KUBERNETES_PROVIDER_VERSION},
            }
        },
        "variable": {
            "use_kubeconfig": {
                "type": "bool",
                "default": True,
                "description": "Use ~/.kube/config on the Coder host (true), or the provisioner's in-cluster "
                "service account when Coder runs in this cluster (false).",
            }
        },
        "provider": {
            "coder": {},
            "kubernetes": {"config_path": interpolation('var.use_kubeconfig == true ? "~/.kube/config" : null')},
        },
        "data": {
            "coder_workspace": {"me": {}},
            "coder_parameter": parameters,
        },
        "resource": {"coder_agent": {"main": {"os": "linux", "arch": "amd64"}}, **_resources(settings)},
    }
