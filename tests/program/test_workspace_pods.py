"""The workspaces' pods under mocks: envbox, envbox with a GPU, sysbox-runc, the canary, and how agent tokens
reach them."""

from __future__ import annotations

import shlex
from typing import Any

from components.config import Workspace
from components.cvm.workspaces import agent, pods, resolve
from components.kube import names
from tests.harness import FULL, SECRET_KEYS, Run, run_program

NS = "cvm-workspaces"  # sysbox-runc workspaces
ENVBOX_NS = "cvm-workspaces-envbox"
# where each workspace of the full stack lives, by runtime
NAMESPACES = {"cvm-canary": NS, "alice": ENVBOX_NS, "bob": NS, "carol": ENVBOX_NS}


def pod(run: Run, name: str, namespace: str | None = None) -> dict[str, Any]:
    resource = run.one("kubernetes:apps/v1:Deployment", f"{namespace or NAMESPACES[name]}/{name}")
    return resource.manifest["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def mounts(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["mountPath"]: m for m in container["volumeMounts"]}


def test_agent_tokens_reach_pods_only_through_secrets(full_stack: Run) -> None:
    secret = full_stack.one("kubernetes:core/v1:Secret", f"{ENVBOX_NS}/alice-agent-token")
    assert secret.is_secret("stringData", "token")
    assert secret.manifest["stringData"] == {"token": "alice-token"}
    for name in ("alice", "bob", "carol"):
        container = pod(full_stack, name)["containers"][0]
        assert env(container)["CODER_AGENT_TOKEN"] == {"secretKeyRef": {"name": f"{name}-agent-token", "key": "token"}}
        assert env(container)["CODER_AGENT_URL"] == "https://coder.example.com/"
    tokens = ("alice-token", "bob-token", "carol-token")
    for resource in full_stack.kubernetes_objects:
        if resource.type != "kubernetes:core/v1:Secret":
            assert not any(token in repr(resource.manifest) for token in tokens), resource.name


def test_envbox_workspace(full_stack: Run) -> None:
    spec = pod(full_stack, "alice")
    (container,) = spec["containers"]
    assert container["image"] == "ghcr.io/coder/envbox:0.6.7"
    assert container["command"] == ["/envbox", "docker"]
    assert container["securityContext"] == {"privileged": True}
    values = env(container)
    assert values["CODER_INNER_IMAGE"] == "ghcr.io/acme/workspace:2026.11"
    assert values["CODER_INNER_USERNAME"] == "coder"
    # the home, and the inner containerd's store (Docker 29's images) where envbox mounts it inside
    containerd = f"{pods.OUTER_CONTAINERD[pods.CONTAINERD_DIR]}:{pods.CONTAINERD_DIR}"
    snapshots = f"{pods.OUTER_CONTAINERD[pods.CONTAINERD_SNAPSHOTS]}:{pods.CONTAINERD_SNAPSHOTS}"
    assert values["CODER_MOUNTS"] == f"/home/coder:/home/coder,{containerd},{snapshots}"
    assert values["CODER_CPUS"] == {
        "resourceFieldRef": {"containerName": "envbox", "resource": "limits.cpu", "divisor": "1"}
    }
    assert values["CODER_MEMORY"] == {"resourceFieldRef": {"containerName": "envbox", "resource": "limits.memory"}}
    assert "CODER_ADD_GPU" not in values
    assert container["resources"] == {
        "requests": {"cpu": "2", "memory": "4Gi", "ephemeral-storage": "1Gi"},
        "limits": {"cpu": "2", "memory": "4Gi", "ephemeral-storage": "20Gi"},
    }
    assert {p: (m["name"], m.get("subPath"), m.get("readOnly", False)) for p, m in mounts(container).items()} == {
        "/home/coder": ("home", "home", False),
        "/var/lib/coder/docker": ("home", "cache/docker", False),
        "/var/lib/coder/containers": ("home", "cache/containers", False),
        "/var/lib/coder/containerd": ("home", resolve.INNER_CONTAINERD, False),
        "/var/lib/coder/containerd-snapshots": ("home", f"{resolve.INNER_CONTAINERD}/{pods.SNAPSHOTTER}", False),
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
    # envbox takes SIGTERM itself (it is not systemd) and gives the agent 90 s of these
    assert "lifecycle" not in container and spec["terminationGracePeriodSeconds"] == 120


def test_gpu_workspace(full_stack: Run) -> None:
    spec = pod(full_stack, "carol")
    (container,) = spec["containers"]
    assert container["resources"] == {
        "requests": {"cpu": "2", "memory": "4Gi", "nvidia.com/gpu": "1", "ephemeral-storage": "1Gi"},
        "limits": {"cpu": "2", "memory": "4Gi", "nvidia.com/gpu": "1", "ephemeral-storage": "20Gi"},
    }
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


def test_sysbox_runc_workspace(full_stack: Run) -> None:
    spec = pod(full_stack, "bob")
    assert spec["runtimeClassName"] == "sysbox-runc" and spec["hostUsers"] is False
    (container,) = spec["containers"]
    assert container["image"] == "ghcr.io/acme/workspace:2026.11"
    assert container["command"] == ["/sbin/init"]
    assert "privileged" not in container["securityContext"]
    # a stop halts systemd (SIGRTMIN+3) before the runtime's SIGTERM, and leaves it as long as envbox gets
    assert container["lifecycle"] == {"preStop": {"exec": {"command": ["sh", "-c", pods.HALT_SYSTEMD]}}}
    assert "kill -37 1" in pods.HALT_SYSTEMD and spec["terminationGracePeriodSeconds"] == 120
    assert container["resources"] == {
        "requests": {"cpu": "4", "memory": "8Gi", "ephemeral-storage": "1Gi"},
        "limits": {"cpu": "4", "memory": "8Gi", "ephemeral-storage": "20Gi"},
    }
    assert mounts(container)["/home/coder"]["subPath"] == "home"
    # the inner Docker's store in the home volume, where envbox keeps it: bounded by the home and kept with it
    assert mounts(container)["/var/lib/docker"] == {"name": "home", "mountPath": "/var/lib/docker",
                                                    "subPath": resolve.INNER_DOCKER}  # fmt: skip
    # and Docker 29's containerd image store beside it, its snapshots mounted where Sysbox looks (issue 31)
    assert mounts(container)["/var/lib/containerd"]["subPath"] == resolve.INNER_CONTAINERD
    snapshots = mounts(container)["/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs"]
    assert snapshots["subPath"] == f"{resolve.INNER_CONTAINERD}/io.containerd.snapshotter.v1.overlayfs"
    assert mounts(pod(full_stack, "alice")["containers"][0])["/var/lib/coder/docker"]["subPath"] == resolve.INNER_DOCKER
    assert not any("hostPath" in v for v in spec["volumes"])
    # a new home is root's: the workspace's own image hands it to the user first, with or without an agent
    (owner,) = spec["initContainers"]
    assert owner["image"] == container["image"] and owner["command"] == ["chown", "coder:", "/home/coder"]
    assert owner["volumeMounts"] == [mounts(container)["/home/coder"]]
    assert owner["terminationMessagePolicy"] == "FallbackToLogsOnError"  # chown's words in the pod's status
    # its requests equal its limits, so the pod keeps the Guaranteed QoS class
    assert owner["resources"]["requests"] == owner["resources"]["limits"]


def test_a_root_workspace_and_the_canary_have_no_home_to_hand_over() -> None:
    root = {"name": "ops", "image": "ghcr.io/acme/workspace:2026.11", "runtime": "sysbox-runc", "username": "root"}
    run = run_program({"platform": "baremetal", "supervisor": {"workspaces": [root]}})
    for name in ("ops", "cvm-canary"):
        assert "initContainers" not in pod(run, name, NS), name


def test_canary_runs_under_sysbox_runc_and_checks_systemd_and_docker(full_stack: Run) -> None:
    spec = pod(full_stack, "cvm-canary")
    assert spec["runtimeClassName"] == "sysbox-runc" and spec["hostUsers"] is False
    (container,) = spec["containers"]
    assert container["image"] == "docker.io/codercom/enterprise-base:ubuntu-20240812"
    assert container["command"] == ["/sbin/init"]
    assert container["lifecycle"]["preStop"]["exec"]["command"] == ["sh", "-c", pods.HALT_SYSTEMD]
    probe = container["readinessProbe"]["exec"]["command"]
    assert probe == ["sh", "-c", pods.canary_check()]  # what it checks: tests/unit/cvm/test_canary_check.py
    # ephemeral: nothing to protect, and bounded on the node's disk, its inner Docker's store included
    assert spec["volumes"] == [{"name": "home", "emptyDir": {"sizeLimit": "1Gi"}}]
    assert mounts(container)["/var/lib/docker"]["subPath"] == resolve.INNER_DOCKER
    assert container["resources"] == {
        "requests": {"cpu": "500m", "memory": "2Gi", "ephemeral-storage": "1Gi"},
        "limits": {"cpu": "500m", "memory": "2Gi", "ephemeral-storage": "20Gi"},
    }
    assert "CODER_AGENT_TOKEN" not in env(container)


def test_canary_without_sysbox_runs_under_envbox() -> None:
    run = run_program(
        {"platform": "baremetal", "sysbox": {"enabled": False}, "baremetal": FULL["baremetal"]}, SECRET_KEYS
    )
    spec = pod(run, "cvm-canary", ENVBOX_NS)
    # privileged, so in the envbox namespace, not in the baseline one
    assert {r.name for r in run.of_type("kubernetes:apps/v1:Deployment")} == {f"{ENVBOX_NS}/cvm-canary"}
    (container,) = spec["containers"]
    assert container["command"] == ["/envbox", "docker"]
    assert env(container)["CODER_INNER_IMAGE"] == "docker.io/codercom/enterprise-base:ubuntu-20240812"
    # the same check, in the inner container, whole (one shell word, quotes and all)
    sh, c, command = container["readinessProbe"]["exec"]["command"]
    assert [sh, c] == ["sh", "-c"]
    assert shlex.split(command) == ["docker", "exec", "workspace_cvm", "sh", "-c", pods.canary_check()]
    # envbox keeps its Docker stores (the workspace image) in the scratch home: bounded by the pod's limit
    assert {"name": "home", "emptyDir": {}} in spec["volumes"]


def test_canary_can_be_turned_off() -> None:
    run = run_program(
        {"platform": "baremetal", "supervisor": {"canary": False}, "baremetal": FULL["baremetal"]}, SECRET_KEYS
    )
    assert run.of_type("kubernetes:apps/v1:Deployment") == []
    assert run.outputs["workspaces"] == []


def test_every_workspace_that_talks_to_coder_starts_its_agent(full_stack: Run) -> None:
    """envbox through CODER_BOOTSTRAP_SCRIPT, sysbox-runc through a unit its own systemd starts."""
    script = agent.script("https://coder.example.com/")
    for name in ("alice", "carol"):
        assert env(pod(full_stack, name)["containers"][0])["CODER_BOOTSTRAP_SCRIPT"] == script
    bob = pod(full_stack, "bob")
    # read-only, not executable: systemd warns about an executable unit, and the script runs through /bin/sh
    assert {"name": "coder-agent", "configMap": {"name": "bob-coder-agent", "defaultMode": 0o444}} in bob["volumes"]
    found = mounts(bob["containers"][0])
    assert all(found[m["mountPath"]] == m for m in agent.sysbox_mounts())
    unit = full_stack.one("kubernetes:core/v1:ConfigMap", f"{NS}/bob-coder-agent").manifest
    assert unit["data"] == {"coder-agent.sh": script, "coder-agent.service": agent.unit(
        Workspace.model_validate({"name": "bob", "image": "ghcr.io/acme/workspace:2026.11"}).username, "/home/coder"),
        "cvm-coder-agent.conf": agent.WANTED_TEXT}  # fmt: skip
    # the canary talks to no Coder
    canary = pod(full_stack, "cvm-canary")
    assert "CODER_BOOTSTRAP_SCRIPT" not in env(canary["containers"][0])
    assert not any(v["name"] == "coder-agent" for v in canary["volumes"])


def test_without_coder_no_agent_starts() -> None:
    supervisor = {k: v for k, v in FULL["supervisor"].items() if k != "coderUrl"}
    supervisor["workspaces"] = [
        {k: v for k, v in w.items() if k != "agentToken"} for w in FULL["supervisor"]["workspaces"]
    ]
    run = run_program({**FULL, "supervisor": supervisor}, SECRET_KEYS)
    assert not [r for r in run.of_type("kubernetes:core/v1:ConfigMap") if r.name.endswith("-coder-agent")]
    for name in ("alice", "bob", "carol"):
        container = pod(run, name)["containers"][0]
        assert "CODER_BOOTSTRAP_SCRIPT" not in env(container) and "/opt/cvm/coder-agent.sh" not in mounts(container)


def test_envbox_options_reach_envbox() -> None:
    """Each option under the name coder/envbox 0.6.7's README gives it."""
    options = {"imagePullSecret": "regcred", "caCertificates": "corp-ca", "dockerBridgeCidr": "172.30.0.1/24"}
    alice = {
        **FULL["supervisor"]["workspaces"][0],
        "fuse": True,
        "tun": True,
        "innerEnv": {"HTTP_PROXY": "http://p:3128"},
    }
    supervisor = {**FULL["supervisor"], **options, "workspaces": [alice]}
    run = run_program({**FULL, "supervisor": supervisor}, SECRET_KEYS)
    spec = pod(run, "alice")
    (container,) = spec["containers"]
    values = env(container)
    assert values["CODER_ADD_FUSE"] == "true" and values["CODER_ADD_TUN"] == "true"
    assert values["HTTP_PROXY"] == "http://p:3128" and values["CODER_INNER_ENVS"] == "HTTP_PROXY"
    assert values["CODER_DOCKER_BRIDGE_CIDR"] == "172.30.0.1/24"
    assert values["CODER_IMAGE_PULL_SECRET"] == {"secretKeyRef": {"name": "regcred", "key": ".dockerconfigjson"}}
    assert values["CODER_EXTRA_CERTS_PATH"] == pods.EXTRA_CERTS_DIR
    assert mounts(container)[pods.EXTRA_CERTS_DIR] == {
        "name": "extra-certs", "mountPath": pods.EXTRA_CERTS_DIR, "readOnly": True,
    }  # fmt: skip
    assert {"name": "extra-certs", "configMap": {"name": "corp-ca"}} in spec["volumes"]
    # and, read-only, in the inner container, where the agent's bootstrap trusts them (envbox's own use of them
    # reaches only its HTTP client and dockerd's certs.d)
    assert values["CODER_MOUNTS"].endswith(f",{pods.EXTRA_CERTS_DIR}:{agent.CA_DIR}:ro")
    assert values["CODER_BOOTSTRAP_SCRIPT"].startswith(agent.trust_lines())
    # none of them by default
    plain = env(pod(run_program(FULL, SECRET_KEYS), "alice")["containers"][0])
    assert not {"CODER_ADD_FUSE", "CODER_ADD_TUN", "CODER_INNER_ENVS", "CODER_DOCKER_BRIDGE_CIDR"} & set(plain)
    assert not {"CODER_IMAGE_PULL_SECRET", "CODER_EXTRA_CERTS_PATH"} & set(plain)


def test_the_supervisors_cas_reach_a_sysbox_runc_workspaces_agent() -> None:
    """The ConfigMap, where the agent's bootstrap reads it (optional: it must be made in this namespace too, and a
    stack that made it in the envbox namespace only still starts), and the bootstrap trusts it."""
    run = run_program({**FULL, "supervisor": {**FULL["supervisor"], "caCertificates": "corp-ca"}}, SECRET_KEYS)
    spec = pod(run, "bob", NS)
    assert mounts(spec["containers"][0])[agent.CA_DIR] == {
        "name": "ca-certificates", "mountPath": agent.CA_DIR, "readOnly": True,
    }  # fmt: skip
    assert {"name": "ca-certificates", "configMap": {"name": "corp-ca", "optional": True}} in spec["volumes"]
    files = run.one("kubernetes:core/v1:ConfigMap", f"{NS}/{names.agent_files('bob')}").manifest["data"]
    assert files[agent.SCRIPT].startswith(agent.trust_lines())
    # not without it, nor in the canary, which starts no agent
    assert agent.CA_DIR not in mounts(pod(run_program(FULL, SECRET_KEYS), "bob", NS)["containers"][0])
    assert agent.CA_DIR not in mounts(pod(run, "cvm-canary", NS)["containers"][0])


def test_workspaces_run_only_on_cvm_nodes_and_gpu_workspaces_on_gpu_nodes(full_stack: Run) -> None:
    for name in ("cvm-canary", "alice", "bob"):
        spec = pod(full_stack, name)
        assert spec["nodeSelector"] == {"sysbox-install": "yes"}, name
        # the taint of AKS's CVM pool, which keeps everything else off it; nothing else is tolerated
        assert spec["tolerations"] == [{"key": "cvm/workspaces-only", "operator": "Exists", "effect": "NoSchedule"}]
    carol = pod(full_stack, "carol")  # one GPU: the GPU nodes, whose taint it tolerates
    assert carol["nodeSelector"] == {"nvidia.com/gpu.present": "true", "kubernetes.io/arch": "amd64"}
    assert carol["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]


def test_every_platform_marks_the_nodes_workspaces_select(cloud: tuple[str, Run]) -> None:
    """The label the workspaces select is the one each cloud's CVM pool carries."""
    _, run = cloud
    (canary,) = [r for r in run.of_type("kubernetes:apps/v1:Deployment") if r.name.endswith("/cvm-canary")]
    assert canary.manifest["spec"]["template"]["spec"]["nodeSelector"] == {"sysbox-install": "yes"}
    assert "'sysbox-install': 'yes'" in repr([r.inputs for r in run.resources if not r.type.startswith("kubernetes:")])


def test_only_akss_cvm_pool_is_tainted_the_others_are_the_clusters_only_pool(cloud: tuple[str, Run]) -> None:
    """AKS keeps its system pods on a system pool, so its CVM pool is tainted for workspaces; a GKE or EKS
    cluster has one pool, whose taint would leave CoreDNS unschedulable."""
    platform, run = cloud
    tainted = "cvm/workspaces-only=true:NoSchedule" in repr([r.inputs for r in run.resources])
    assert tainted == (platform == "aks")
    if platform == "aks":
        pool = run.one("azure-native:containerservice:AgentPool", "cvm-dev-cvm").inputs
        assert pool["nodeTaints"] == ["cvm/workspaces-only=true:NoSchedule"] and pool["mode"] == "User"


def test_secret_variables_reach_the_pod_only_through_a_secret() -> None:
    """secretEnv (issue 24): the registered Secret's values are secret Outputs; no other object holds them."""
    config = {**FULL, "supervisor": {**FULL["supervisor"], "workspaces": [
        {**FULL["supervisor"]["workspaces"][0], "secretEnv": {"GITHUB_TOKEN": "ghp-s3cr3t-value"}}
    ]}}  # fmt: skip
    run = run_program(config, SECRET_KEYS)
    secret = run.one("kubernetes:core/v1:Secret", f"{ENVBOX_NS}/alice-env")
    assert secret.is_secret("stringData", "GITHUB_TOKEN")
    container = pod(run, "alice")["containers"][0]
    assert env(container)["GITHUB_TOKEN"] == {"secretKeyRef": {"name": "alice-env", "key": "GITHUB_TOKEN"}}
    assert "GITHUB_TOKEN" in env(container)["CODER_INNER_ENVS"].split(",")
    for resource in run.kubernetes_objects:
        if resource.type != "kubernetes:core/v1:Secret":
            assert "ghp-s3cr3t-value" not in repr(resource.manifest), resource.name


def test_below_1_33_sysbox_runc_pods_carry_cri_os_user_namespace_annotation() -> None:
    """Sysbox 0.6.7 always moves its nodes to CRI-O, whose pods need the annotation below Kubernetes 1.33."""
    workspaces = [
        {"name": name, "image": "ghcr.io/acme/workspace:2026.11", "runtime": runtime}
        for name, runtime in (("ann", "sysbox-runc"), ("ben", "envbox"))
    ]
    old = {"platform": "baremetal", "kubernetesVersion": "1.32", "sysbox": {"version": "0.6.7"}}
    for config, annotated in ((old, True), ({"platform": "baremetal"}, False)):
        run = run_program({**config, "supervisor": {"workspaces": workspaces}})
        for name, namespace, runtime_annotated in (("cvm-canary", NS, annotated), ("ann", NS, annotated),
                                                   ("ben", ENVBOX_NS, False)):  # fmt: skip
            deployment = run.one("kubernetes:apps/v1:Deployment", f"{namespace}/{name}").manifest
            annotations = deployment["spec"]["template"]["metadata"].get("annotations", {})
            expected = {"io.kubernetes.cri-o.userns-mode": "auto:size=65536"} if runtime_annotated else {}
            assert annotations == expected, (config, name)
