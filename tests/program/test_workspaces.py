"""The workspace supervisor, the canary and the NVIDIA device plugin, under mocks and as pure builders."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components import gpu, supervisor
from components.settings import Workspace
from tests.harness import PROVIDER_TYPE, Registered, Run, run_program
from tests.stacks import FULL, SECRET_KEYS, full

NS = "cvm-workspaces"


@pytest.fixture(scope="module")
def stack() -> Run:
    return full()


def deployment(run: Run, name: str) -> Registered:
    return run.one("kubernetes:apps/v1:Deployment", f"{NS}/{name}")


def pod(run: Run, name: str) -> dict[str, Any]:
    return deployment(run, name).manifest["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def mounts(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["mountPath"]: m for m in container["volumeMounts"]}


# --- what the full stack registers --------------------------------------------------------------------------


def test_full_stack_registers_every_workspace(stack: Run) -> None:
    names = {r.name for r in stack.of_type("kubernetes:apps/v1:Deployment")}
    assert names == {f"{NS}/{n}" for n in ("cvm-canary", "alice", "bob", "carol")}
    assert {r.name for r in stack.of_type("kubernetes:core/v1:PersistentVolumeClaim")} == {
        f"{NS}/{n}-home" for n in ("alice", "bob", "carol")
    }
    assert {r.name for r in stack.of_type("kubernetes:core/v1:Secret")} == {
        f"{NS}/{n}-agent-token" for n in ("alice", "bob", "carol")
    }
    assert stack.outputs["workspaces"] == ["cvm-canary", "alice", "bob", "carol"]
    assert stack.outputs["workspaceNamespace"] == NS and stack.outputs["gpuEnabled"] is True


def test_everything_is_on_the_cluster_provider(stack: Run) -> None:
    for resource in stack.kubernetes_objects:
        assert resource.provider is not None and f"{PROVIDER_TYPE}::cvm-dev-provider::" in resource.provider


def test_workloads_are_named_and_labelled(stack: Run) -> None:
    for name in ("cvm-canary", "alice", "bob", "carol"):
        manifest = deployment(stack, name).manifest
        assert manifest["metadata"]["name"] == name
        for where in (manifest["metadata"]["labels"], manifest["spec"]["template"]["metadata"]["labels"]):
            assert where["app.kubernetes.io/component"] == "workspace"
            assert where["app.kubernetes.io/instance"] == name
        assert manifest["spec"]["replicas"] == 1 and manifest["spec"]["strategy"] == {"type": "Recreate"}
        assert manifest["spec"]["selector"]["matchLabels"] == supervisor.selector(name)


def test_namespace_is_privileged_only_for_envbox(stack: Run) -> None:
    labels = stack.one("kubernetes:core/v1:Namespace", NS).manifest["metadata"]["labels"]
    assert labels == {
        "pod-security.kubernetes.io/enforce": "privileged",
        "pod-security.kubernetes.io/enforce-version": "v1.35",
        "istio-injection": "disabled",
    }
    # the default stack has only the canary, under sysbox-runc: baseline is enough
    default = run_program({"platform": "baremetal", "baremetal": FULL["baremetal"]}, secret_keys=SECRET_KEYS)
    assert (
        default.one("kubernetes:core/v1:Namespace", NS).manifest["metadata"]["labels"][
            "pod-security.kubernetes.io/enforce"
        ]
        == "baseline"
    )


def test_ingress_is_denied_and_the_account_mounts_no_token(stack: Run) -> None:
    policy = stack.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", f"{NS}/cvm-workspaces-deny-ingress").manifest
    assert policy["spec"] == {
        "podSelector": {"matchLabels": {"app.kubernetes.io/component": "workspace"}},
        "policyTypes": ["Ingress"],
    }
    account = stack.one("kubernetes:core/v1:ServiceAccount", f"{NS}/cvm-workspace").manifest
    assert account["automountServiceAccountToken"] is False


def test_home_volumes_are_protected_and_sized(stack: Run) -> None:
    volume = stack.one("kubernetes:core/v1:PersistentVolumeClaim", f"{NS}/bob-home").manifest
    assert volume["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "50Gi"}},
        "storageClassName": "local-path",
    }


def test_home_volumes_carry_the_protect_option(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mocks do not see resource options, so read them where the component sets them."""
    from components import kube

    protected: dict[str, bool] = {}
    original = kube.create

    def spy(manifest: dict[str, Any], opts: pulumi.ResourceOptions) -> Any:
        protected[kube.logical_name(manifest)] = bool(opts.protect)
        return original(manifest, opts)

    monkeypatch.setattr(kube, "create", spy)
    full()
    assert {name for name, on in protected.items() if on} == {f"{NS}/{n}-home" for n in ("alice", "bob", "carol")}


def test_agent_tokens_reach_pods_only_through_secrets(stack: Run) -> None:
    secret = stack.one("kubernetes:core/v1:Secret", f"{NS}/alice-agent-token")
    assert secret.is_secret("stringData", "token")
    assert secret.manifest["stringData"] == {"token": "alice-token"}
    for name in ("alice", "bob", "carol"):
        container = pod(stack, name)["containers"][0]
        assert env(container)["CODER_AGENT_TOKEN"] == {"secretKeyRef": {"name": f"{name}-agent-token", "key": "token"}}
        assert env(container)["CODER_AGENT_URL"] == "https://coder.example.com/"
    tokens = ("alice-token", "bob-token", "carol-token")
    for resource in stack.kubernetes_objects:
        if resource.type != "kubernetes:core/v1:Secret":
            assert not any(token in repr(resource.manifest) for token in tokens), resource.name


# --- envbox ------------------------------------------------------------------------------------------------


def test_envbox_workspace(stack: Run) -> None:
    spec = pod(stack, "alice")
    (container,) = spec["containers"]
    assert container["image"] == "ghcr.io/coder/envbox:0.6.7"
    assert container["command"] == ["/envbox", "docker"]
    assert container["securityContext"] == {"privileged": True}
    values = env(container)
    assert values["CODER_INNER_IMAGE"] == "ghcr.io/acme/workspace:2026.11"
    assert values["CODER_INNER_USERNAME"] == "coder"
    assert values["CODER_MOUNTS"] == "/home/coder:/home/coder"
    assert values["CODER_CPUS"] == {
        "resourceFieldRef": {"containerName": "envbox", "resource": "limits.cpu", "divisor": "1"}
    }
    assert values["CODER_MEMORY"] == {"resourceFieldRef": {"containerName": "envbox", "resource": "limits.memory"}}
    assert "CODER_ADD_GPU" not in values
    assert container["resources"] == {
        "requests": {"cpu": "2", "memory": "4Gi"},
        "limits": {"cpu": "2", "memory": "4Gi"},
    }
    assert {p: (m["name"], m.get("subPath"), m.get("readOnly", False)) for p, m in mounts(container).items()} == {
        "/home/coder": ("home", "home", False),
        "/var/lib/coder/docker": ("home", "cache/docker", False),
        "/var/lib/coder/containers": ("home", "cache/containers", False),
        "/var/lib/docker": ("home", "envbox/docker", False),
        "/var/lib/containers": ("home", "envbox/containers", False),
        "/var/lib/sysbox": ("sysbox", None, False),
        "/usr/src": ("usr-src", None, True),
        "/lib/modules": ("lib-modules", None, True),
    }
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["home"] == {"name": "home", "persistentVolumeClaim": {"claimName": "alice-home"}}
    assert volumes["sysbox"] == {"name": "sysbox", "emptyDir": {}}
    host_paths = sorted(v["hostPath"]["path"] for v in spec["volumes"] if "hostPath" in v)
    assert host_paths == ["/lib/modules", "/usr/src"]  # and nothing else from the host
    assert "runtimeClassName" not in spec and "hostUsers" not in spec
    assert "workspace_cvm" in " ".join(container["readinessProbe"]["exec"]["command"])


def test_gpu_workspace(stack: Run) -> None:
    spec = pod(stack, "carol")
    (container,) = spec["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    values = env(container)
    assert values["CODER_ADD_GPU"] == "true" and values["CODER_USR_LIB_DIR"] == "/var/coder/usr/lib"
    assert mounts(container)["/var/coder/usr/lib"] == {
        "name": "host-usr-lib",
        "mountPath": "/var/coder/usr/lib",
        "readOnly": True,
    }
    assert {"name": "host-usr-lib", "hostPath": {"path": "/usr/lib/x86_64-linux-gnu", "type": "Directory"}} in spec[
        "volumes"
    ]


# --- sysbox-runc -------------------------------------------------------------------------------------------


def test_sysbox_runc_workspace(stack: Run) -> None:
    spec = pod(stack, "bob")
    assert spec["runtimeClassName"] == "sysbox-runc" and spec["hostUsers"] is False
    (container,) = spec["containers"]
    assert container["image"] == "ghcr.io/acme/workspace:2026.11"
    assert container["command"] == ["/sbin/init"]
    assert "privileged" not in container["securityContext"]
    assert container["resources"]["limits"] == {"cpu": "4", "memory": "8Gi"}
    assert mounts(container)["/home/coder"]["subPath"] == "home"
    assert not any("hostPath" in v for v in spec["volumes"])


# --- the canary --------------------------------------------------------------------------------------------


def test_canary_runs_under_sysbox_runc_and_checks_systemd_and_docker(stack: Run) -> None:
    spec = pod(stack, "cvm-canary")
    assert spec["runtimeClassName"] == "sysbox-runc" and spec["hostUsers"] is False
    (container,) = spec["containers"]
    assert container["image"] == "docker.io/codercom/enterprise-base:ubuntu-20240812"
    assert container["command"] == ["/sbin/init"]
    probe = container["readinessProbe"]["exec"]["command"]
    assert probe == ["sh", "-c", supervisor.CANARY_CHECK]
    assert "/proc/1/comm" in supervisor.CANARY_CHECK and "docker version" in supervisor.CANARY_CHECK
    assert spec["volumes"] == [{"name": "home", "emptyDir": {}}]  # ephemeral: nothing to protect
    assert "CODER_AGENT_TOKEN" not in env(container)


def test_canary_without_sysbox_runs_under_envbox() -> None:
    run = run_program(
        {"platform": "baremetal", "sysbox": {"enabled": False}, "baremetal": FULL["baremetal"]}, SECRET_KEYS
    )
    spec = pod(run, "cvm-canary")
    (container,) = spec["containers"]
    assert container["command"] == ["/envbox", "docker"]
    assert env(container)["CODER_INNER_IMAGE"] == "docker.io/codercom/enterprise-base:ubuntu-20240812"
    assert container["readinessProbe"]["exec"]["command"] == [
        "sh", "-c", f"docker exec workspace_cvm sh -c '{supervisor.CANARY_CHECK}'",
    ]  # fmt: skip
    assert {"name": "home", "emptyDir": {}} in spec["volumes"]


def test_canary_can_be_turned_off() -> None:
    run = run_program(
        {"platform": "baremetal", "supervisor": {"canary": False}, "baremetal": FULL["baremetal"]}, SECRET_KEYS
    )
    assert run.of_type("kubernetes:apps/v1:Deployment") == []
    assert run.outputs["workspaces"] == []


# --- NVIDIA --------------------------------------------------------------------------------------------------


def test_device_plugin_on_gpu_nodes_only(stack: Run) -> None:
    plugin = stack.one("kubernetes:apps/v1:DaemonSet", "kube-system/nvidia-device-plugin-daemonset").manifest
    spec = plugin["spec"]["template"]["spec"]
    assert spec["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert spec["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert spec["priorityClassName"] == "system-node-critical"
    assert spec["containers"][0]["image"] == "nvcr.io/nvidia/k8s-device-plugin:v0.20.0"
    patches = {
        (p.name, tuple(p.manifest["metadata"]["labels"].items())) for p in stack.of_type("kubernetes:core/v1:NodePatch")
    }
    assert patches == {
        ("cpu-1", (("sysbox-install", "yes"),)),
        ("cpu-2", (("sysbox-install", "yes"),)),
        ("gpu-1", (("nvidia.com/gpu.present", "true"),)),
    }


def test_no_device_plugin_without_gpus() -> None:
    run = run_program({"platform": "baremetal", "baremetal": FULL["baremetal"]}, SECRET_KEYS)
    assert not [r for r in run.of_type("kubernetes:apps/v1:DaemonSet") if "nvidia" in r.name]


def test_device_plugin_follows_the_pinned_release() -> None:
    assert gpu.daemon_set("v0.17.1")["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":v0.17.1")


# --- refusals from the issue --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "key"),
    [
        (
            {
                **FULL,
                "supervisor": {"workspaces": [{"name": "g", "image": "u:1", "gpus": 1, "runtime": "sysbox-runc"}]},
            },
            "cvm:supervisor.workspaces[0].gpus",
        ),
        (
            {
                **FULL,
                "gpu": {"enabled": False},
                "supervisor": {"workspaces": [{"name": "g", "image": "u:1", "gpus": 1}]},
            },
            "cvm:supervisor.workspaces[0].gpus",
        ),
        ({"platform": "aks", "aks": {"location": "westeurope"}, "gpu": {"enabled": True}}, "cvm:gpu.enabled"),
    ],
    ids=["GPU under sysbox-runc", "GPU while gpu.enabled is false", "GPUs on a cloud"],
)
def test_gpu_refusals(config: dict[str, Any], key: str) -> None:
    with pytest.raises(pulumi.RunError) as raised:
        run_program(config, SECRET_KEYS)
    assert f"  - {key}" in str(raised.value)


# --- pure builders -------------------------------------------------------------------------------------------


def test_pod_security_level() -> None:
    envbox = Workspace.model_validate({"name": "a", "image": "u:1"})
    runc = Workspace.model_validate({"name": "b", "image": "u:1", "runtime": "sysbox-runc"})
    assert supervisor.pod_security_level([runc]) == "baseline"
    assert supervisor.pod_security_level([]) == "baseline"
    assert supervisor.pod_security_level([runc, envbox]) == "privileged"


def test_root_home() -> None:
    assert supervisor.home_dir("root") == "/root" and supervisor.home_dir("dev") == "/home/dev"


def test_skip_await_annotates_workloads_and_volumes() -> None:
    run = full(skipAwait=True)
    for resource in run.of_type("kubernetes:apps/v1:Deployment") + run.of_type(
        "kubernetes:core/v1:PersistentVolumeClaim"
    ):
        assert resource.manifest["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
