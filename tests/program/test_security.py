"""Security invariants over everything the program registers, for every shape of stack."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from components.config.values import pinned_image
from components.facts import network
from tests.harness import CLOUDS, ENVBOX_ONLY, FULL, SECRET_KEYS, Registered, Run, run_program

PRIVILEGED_ALLOWED = {"sysbox-deploy-k8s", "envbox"}  # the Sysbox installer, envbox's outer container


@pytest.fixture(scope="module")
def objects(full_stack: Run) -> list[Registered]:
    stacks = [
        full_stack,
        run_program({**ENVBOX_ONLY, "skipAwait": True}, SECRET_KEYS),
        run_program({"platform": "baremetal", "baremetal": FULL["baremetal"]}, SECRET_KEYS),
    ]
    return [r for run in stacks for r in run.kubernetes_objects]


@pytest.fixture(scope="module")
def runs(full_stack: Run, envbox_only_stack: Run, cloud_stack: Callable[[str], Run]) -> dict[str, Run]:
    """Every shape of stack the program deploys: bare metal with both runtimes and GPUs, envbox only, the default
    (the canary alone), and each cloud's."""
    return {
        "full": full_stack,
        "envbox-only": envbox_only_stack,
        "default": run_program({"platform": "baremetal", "baremetal": FULL["baremetal"]}, SECRET_KEYS),
        **{platform: cloud_stack(platform) for platform in CLOUDS},
    }


def containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return spec["containers"] + spec.get("initContainers", [])  # type: ignore[no-any-return]


def pod_specs(objects: list[Registered]) -> Iterator[tuple[Registered, dict[str, Any]]]:
    for resource in objects:
        spec = resource.manifest.get("spec", {})
        if "template" in spec:
            yield resource, spec["template"]["spec"]


def workspace_pods(objects: list[Registered]) -> Iterator[tuple[Registered, dict[str, Any]]]:
    for resource, spec in pod_specs(objects):
        if resource.manifest["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "workspace":
            yield resource, spec


def test_there_is_something_to_check(objects: list[Registered]) -> None:
    assert len(list(workspace_pods(objects))) == 4 + 3 + 1
    assert len(list(pod_specs(objects))) > len(list(workspace_pods(objects)))


def test_only_the_installer_and_envbox_are_privileged(objects: list[Registered]) -> None:
    privileged = set()
    for resource, spec in pod_specs(objects):
        for container in spec["containers"] + spec.get("initContainers", []):
            if container.get("securityContext", {}).get("privileged"):
                privileged.add(container["name"])
                assert container["name"] in PRIVILEGED_ALLOWED, resource.name
    assert privileged == PRIVILEGED_ALLOWED


def test_workspace_pods_mount_no_token_and_share_nothing_with_the_host(objects: list[Registered]) -> None:
    for resource, spec in workspace_pods(objects):
        assert spec["automountServiceAccountToken"] is False, resource.name
        assert not {"hostNetwork", "hostPID", "hostIPC"} & set(spec), resource.name


def test_workspace_containers_have_requests_and_limits(objects: list[Registered]) -> None:
    for resource, spec in workspace_pods(objects):
        for container in spec["containers"]:
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), resource.name
            assert {"cpu", "memory"} <= set(resources["limits"]), resource.name


def test_every_container_requests_cpu_and_memory(runs: dict[str, Run]) -> None:
    seen = set()
    for stack, run in runs.items():
        for resource, spec in pod_specs(run.kubernetes_objects):
            for container in containers(spec):
                requests = container.get("resources", {}).get("requests", {})
                assert {"cpu", "memory"} <= set(requests), (stack, resource.name, container["name"])
                seen.add(container["name"])
    # the Sysbox installer and cvm's containerd fix beside it, the device plugin, envbox's outer container,
    # sysbox-runc's workspace container and the init container that hands its home to the user
    assert seen == {
        "sysbox-deploy-k8s", "containerd2", "nvidia-device-plugin-ctr", "envbox", "workspace", "home-owner"
    }  # fmt: skip


def test_workspaces_bound_their_node_disk(runs: dict[str, Run]) -> None:
    checked = 0
    for stack, run in runs.items():
        for resource, spec in workspace_pods(run.kubernetes_objects):
            for container in spec["containers"]:
                resources = container["resources"]
                assert resources["requests"]["ephemeral-storage"] == "1Gi", (stack, resource.name)
                assert resources["limits"]["ephemeral-storage"] == "20Gi", (stack, resource.name)
                checked += 1
            for container in spec.get("initContainers", []):
                assert container["resources"]["limits"]["ephemeral-storage"] == "64Mi", (stack, resource.name)
            home = next(v for v in spec["volumes"] if v["name"] == "home")
            if resource.name.endswith("/cvm-canary") and spec.get("runtimeClassName") == "sysbox-runc":
                assert home == {"name": "home", "emptyDir": {"sizeLimit": "1Gi"}}, (stack, resource.name)
            elif resource.name.endswith("/cvm-canary"):  # envbox's Docker stores: bounded by the pod's scratch
                assert home == {"name": "home", "emptyDir": {}}, (stack, resource.name)
            else:
                assert set(home) == {"name", "persistentVolumeClaim"}, (stack, resource.name)
    assert checked == 4 + 3 + 1 + len(CLOUDS)


def test_node_daemons_are_system_node_critical(runs: dict[str, Run]) -> None:
    seen = set()
    for stack, run in runs.items():
        for daemon_set in run.of_type("kubernetes:apps/v1:DaemonSet"):
            spec = daemon_set.manifest["spec"]["template"]["spec"]
            assert spec["priorityClassName"] == "system-node-critical", (stack, daemon_set.name)
            seen.add(daemon_set.name)
    assert seen == {
        "kube-system/sysbox-deploy-k8s",
        "kube-system/cvm-sysbox-containerd2",
        "kube-system/nvidia-device-plugin-daemonset",
    }


def test_every_workspace_namespace_limits_ingress_and_egress(runs: dict[str, Run]) -> None:
    for stack, run in runs.items():
        namespaces = {r.manifest["metadata"]["namespace"] for r, _ in workspace_pods(run.kubernetes_objects)}
        namespaces |= {r.name for r in run.of_type("kubernetes:core/v1:Namespace")}
        assert namespaces, stack
        for namespace in namespaces:
            policies = {
                r.manifest["metadata"]["name"]: r.manifest["spec"]
                for r in run.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
                if r.manifest["metadata"]["namespace"] == namespace
            }
            assert set(policies) == {"cvm-workspaces-deny-ingress", "cvm-workspaces-limit-egress"}, (stack, namespace)
            assert policies["cvm-workspaces-deny-ingress"]["policyTypes"] == ["Ingress"]
            platform = stack if stack in CLOUDS else "baremetal"
            assert_egress_is_limited(policies["cvm-workspaces-limit-egress"], platform, (stack, namespace))


# What no workspace may reach by address: the cluster's and the nodes' ranges, loopback, the metadata servers,
# Azure's WireServer, and the special-purpose ranges the review found open (NAT64, 0/8, 198.18/15, 240/4); the
# whole list is components/facts/network.py's.
BLOCKED = {
    "0.0.0.0/0": {
        *("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8"),
        *("168.63.129.16/32", "0.0.0.0/8", "198.18.0.0/15", "240.0.0.0/4"),
    },
    "::/0": {"fc00::/7", "fe80::/10", "::1/128", "64:ff9b::/96"},
}
DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
KUBE_DNS = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}


# Where a node-local resolver may answer, on port 53 alone: NodeLocal DNSCache's address and the kube-dns ClusterIP
# it also binds (by the platform's default Service range), AKS LocalDNS, GKE's Cloud DNS on the metadata address.
NODE_LOCAL_DNS = {
    "baremetal": {"169.254.20.10/32", "10.96.0.10/32", "10.43.0.10/32"},
    "aks": {"169.254.20.10/32", "10.0.0.10/32", "169.254.10.10/32", "169.254.10.11/32"},
    "eks": {"169.254.20.10/32", "10.100.0.10/32", "172.20.0.10/32"},
    "gke": {"169.254.20.10/32", "169.254.169.254/32"},
}


def assert_egress_is_limited(spec: dict[str, Any], platform: str, where: Any) -> None:
    """These stacks' Coder is public or absent: address blocks are the internet alone, the one selector kube-dns."""
    assert spec["podSelector"] == {"matchLabels": {"app.kubernetes.io/component": "workspace"}}, where
    assert spec["policyTypes"] == ["Egress"], where
    blocks, dns, selectors = {}, set(), []
    for rule in spec["egress"]:
        assert rule.get("to"), where  # a rule without `to` admits every destination
        for peer in rule["to"]:
            if "ipBlock" in peer and "ports" in rule:  # link-local DNS resolvers, on port 53 alone
                assert rule["ports"] == DNS_PORTS and "except" not in peer["ipBlock"], where
                dns.add(peer["ipBlock"]["cidr"])
            elif "ipBlock" in peer:
                blocks[peer["ipBlock"]["cidr"]] = set(peer["ipBlock"]["except"])
            else:
                selectors.append((peer, rule["ports"]))
    assert blocks == {"0.0.0.0/0": set(network.NOT_INTERNET_IPV4), "::/0": set(network.NOT_INTERNET_IPV6)}, where
    assert all(BLOCKED[cidr] <= blocks[cidr] for cidr in BLOCKED), where
    # GKE's Cloud DNS answers on the metadata address; nowhere else is it reached at all
    assert dns == NODE_LOCAL_DNS[platform], where
    assert selectors == [(KUBE_DNS, DNS_PORTS)], where


def test_privileged_workspaces_never_share_a_namespace_with_sysbox_runc(runs: dict[str, Run]) -> None:
    """Pod Security by namespace: sysbox-runc workspaces stay at baseline whatever else the stack deploys."""
    levels = {"envbox": "privileged", "sysbox-runc": "baseline"}
    for stack, run in runs.items():
        runtimes: dict[str, set[str]] = {}
        for resource, spec in workspace_pods(run.kubernetes_objects):
            runtime = "sysbox-runc" if spec.get("runtimeClassName") == "sysbox-runc" else "envbox"
            runtimes.setdefault(resource.manifest["metadata"]["namespace"], set()).add(runtime)
        for namespace, found in runtimes.items():
            assert len(found) == 1, (stack, namespace, found)
            (runtime,) = found
            labels = run.one("kubernetes:core/v1:Namespace", namespace).manifest["metadata"]["labels"]
            for mode in ("enforce", "warn", "audit"):
                assert labels[f"pod-security.kubernetes.io/{mode}"] == levels[runtime], (stack, namespace, mode)


def test_every_image_is_pinned(objects: list[Registered]) -> None:
    images = set()
    for _, spec in pod_specs(objects):
        for container in spec["containers"]:
            images.add(container["image"])
            for variable in container.get("env", []):
                if variable["name"] == "CODER_INNER_IMAGE":
                    images.add(variable["value"])
    assert len(images) >= 6
    assert all(pinned_image(image) for image in images), images


def test_sysbox_runc_pods_use_their_own_user_namespace(objects: list[Registered]) -> None:
    runc = [(r, s) for r, s in pod_specs(objects) if s.get("runtimeClassName") == "sysbox-runc"]
    assert runc
    for resource, spec in runc:
        assert spec["hostUsers"] is False, resource.name
        assert not any(c.get("securityContext", {}).get("privileged") for c in spec["containers"])


def test_host_paths_in_workspaces_are_read_only(objects: list[Registered]) -> None:
    for resource, spec in workspace_pods(objects):
        host = {v["name"] for v in spec["volumes"] if "hostPath" in v}
        for container in spec["containers"]:
            for mount in container["volumeMounts"]:
                if mount["name"] in host:
                    assert mount.get("readOnly") is True, (resource.name, mount)
