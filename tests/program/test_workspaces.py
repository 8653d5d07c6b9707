"""The workspace supervisor under mocks: the namespace and its guard rails, one workload, volume and Secret per
workspace, on the cluster's provider."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.config import Supervisor, load_settings, stored_config
from components.cvm.workspaces import objects, plan, resolve
from components.cvm.workspaces.resolved import Role
from components.facts import network
from components.kube.manifest import applied_by, logical_name
from components.kube.names import RUNTIME_CLASS, workspace_selector
from localcluster.good_node import node_status
from tests.harness import CLOUDS, ENVBOX_ONLY, FULL, PROVIDER_TYPE, SECRET_KEYS, Run, run_program

NS = "cvm-workspaces"  # sysbox-runc workspaces, at baseline
ENVBOX_NS = "cvm-workspaces-envbox"  # envbox workspaces, at privileged
# where each workspace of the full stack lives, by runtime
NAMESPACES = {"cvm-canary": NS, "alice": ENVBOX_NS, "bob": NS, "carol": ENVBOX_NS}
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def short(urn: str) -> str:
    return urn.split("::", 3)[-1]


def test_full_stack_registers_every_workspace(full_stack: Run) -> None:
    names = {r.name for r in full_stack.of_type("kubernetes:apps/v1:Deployment")}
    assert names == {f"{ns}/{n}" for n, ns in NAMESPACES.items()}
    assert {r.name for r in full_stack.of_type("kubernetes:core/v1:PersistentVolumeClaim")} == {
        f"{ENVBOX_NS}/alice-home",
        f"{NS}/bob-home",
        f"{ENVBOX_NS}/carol-home",
    }
    assert {r.name for r in full_stack.of_type("kubernetes:core/v1:Secret")} == {
        f"{ENVBOX_NS}/alice-agent-token",
        f"{NS}/bob-agent-token",
        f"{ENVBOX_NS}/carol-agent-token",
    }
    assert full_stack.outputs["workspaces"] == ["cvm-canary", "alice", "bob", "carol"]
    assert full_stack.outputs["workspaceNamespace"] == NS and full_stack.outputs["gpuEnabled"] is True
    assert full_stack.outputs["envboxNamespace"] == ENVBOX_NS


def test_everything_is_on_the_cluster_provider(full_stack: Run) -> None:
    for resource in full_stack.kubernetes_objects:
        assert resource.provider is not None and f"{PROVIDER_TYPE}::cvm-dev-provider::" in resource.provider


def test_workloads_are_named_and_labelled(full_stack: Run) -> None:
    for name, namespace in NAMESPACES.items():
        manifest = full_stack.one("kubernetes:apps/v1:Deployment", f"{namespace}/{name}").manifest
        assert manifest["metadata"]["name"] == name and manifest["metadata"]["namespace"] == namespace
        for where in (manifest["metadata"]["labels"], manifest["spec"]["template"]["metadata"]["labels"]):
            assert where["app.kubernetes.io/component"] == "workspace"
            assert where["app.kubernetes.io/instance"] == name
        assert manifest["spec"]["replicas"] == 1 and manifest["spec"]["strategy"] == {"type": "Recreate"}
        assert manifest["spec"]["selector"]["matchLabels"] == workspace_selector(name)


def pod_security(level: str) -> dict[str, str]:
    """A workspace namespace's labels: enforced, warned and audited at `level`, each pinned to 1.35."""
    return {
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/enforce-version": "v1.35",
        "pod-security.kubernetes.io/warn": level,
        "pod-security.kubernetes.io/warn-version": "v1.35",
        "pod-security.kubernetes.io/audit": level,
        "pod-security.kubernetes.io/audit-version": "v1.35",
        "istio-injection": "disabled",
    }


def test_sysbox_runc_namespace_stays_baseline_beside_envbox(full_stack: Run, envbox_only_stack: Run) -> None:
    # the full stack deploys envbox workspaces (one with a GPU) beside bob, under sysbox-runc
    assert full_stack.one("kubernetes:core/v1:Namespace", NS).manifest["metadata"]["labels"] == pod_security("baseline")
    envbox = full_stack.one("kubernetes:core/v1:Namespace", ENVBOX_NS).manifest["metadata"]["labels"]
    assert envbox == pod_security("privileged")
    only = envbox_only_stack.one("kubernetes:core/v1:Namespace", NS).manifest["metadata"]["labels"]
    assert only == pod_security("baseline")
    # the default stack has only the canary, under sysbox-runc: baseline, and no envbox namespace
    default = run_program({"platform": "baremetal", "baremetal": FULL["baremetal"]}, secret_keys=SECRET_KEYS)
    assert [r.name for r in default.of_type("kubernetes:core/v1:Namespace")] == [NS]
    assert default.one("kubernetes:core/v1:Namespace", NS).manifest["metadata"]["labels"] == pod_security("baseline")


def test_the_namespaces_labels_follow_the_kubernetes_minor() -> None:
    nodes = {n: node_status(kubeletVersion="v1.33.5") for n in ("cpu-1", "cpu-2", "gpu-1")}
    run = run_program({**FULL, "kubernetesVersion": "1.33"}, SECRET_KEYS, nodes=nodes)
    for namespace in (NS, ENVBOX_NS):
        labels = run.one("kubernetes:core/v1:Namespace", namespace).manifest["metadata"]["labels"]
        assert {k: v for k, v in labels.items() if k.endswith("-version")} == {
            f"pod-security.kubernetes.io/{mode}-version": "v1.33" for mode in ("enforce", "warn", "audit")
        }


RUNC = {"name": "bob", "image": "ghcr.io/acme/workspace:2026.11", "runtime": "sysbox-runc"}
ENVBOX = {"name": "alice", "image": "ghcr.io/acme/workspace:2026.11"}


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, None),  # the canary alone, under sysbox-runc
        ({"supervisor": {"workspaces": [RUNC]}}, None),
        ({"supervisor": {"canary": False}}, None),
        ({"supervisor": {"workspaces": [RUNC, ENVBOX]}}, ENVBOX_NS),
        ({"supervisor": {"canary": False, "workspaces": [ENVBOX]}}, ENVBOX_NS),
        ({"sysbox": {"enabled": False}}, ENVBOX_NS),  # the canary under envbox
        ({"supervisor": {"namespace": "team-a", "workspaces": [ENVBOX]}}, "team-a-envbox"),
    ],
    ids=["canary", "sysbox-runc", "nothing", "both", "envbox", "envbox canary", "named"],
)
def test_envbox_namespace_only_when_an_envbox_workspace_is_deployed(
    bare_metal: Callable[..., Run], config: dict[str, Any], expected: str | None
) -> None:
    run = bare_metal(**config)
    namespaces = {r.name for r in run.of_type("kubernetes:core/v1:Namespace")}
    configured = config.get("supervisor", {}).get("namespace", NS)
    if expected is None:
        assert namespaces == {configured}
        assert "envboxNamespace" not in run.outputs  # absent, not null
    else:
        assert namespaces == {configured, expected}
        assert run.outputs["envboxNamespace"] == expected
    assert run.outputs["workspaceNamespace"] == configured


def test_each_namespace_holds_its_runtimes_workspaces(
    full_stack: Run, frame: Callable[[str], set[tuple[str, str]]]
) -> None:
    by_namespace: dict[str, set[tuple[str, str]]] = {}
    for resource in full_stack.kubernetes_objects:
        namespace = resource.manifest["metadata"].get("namespace")
        if resource.type == "kubernetes:core/v1:Namespace":
            namespace = resource.name
        if namespace in (NS, ENVBOX_NS):
            assert resource.name.split("/")[0] == namespace, resource.name
            by_namespace.setdefault(namespace, set()).add((resource.type, resource.name))

    def workspace(namespace: str, name: str) -> set[tuple[str, str]]:
        return {
            ("kubernetes:apps/v1:Deployment", f"{namespace}/{name}"),
            ("kubernetes:core/v1:Secret", f"{namespace}/{name}-agent-token"),
            ("kubernetes:core/v1:PersistentVolumeClaim", f"{namespace}/{name}-home"),
        }

    canary = {("kubernetes:apps/v1:Deployment", f"{NS}/cvm-canary")}
    assert by_namespace == {
        # a sysbox-runc workspace that talks to Coder brings its agent's unit and script in a ConfigMap
        NS: frame(NS) | canary | workspace(NS, "bob") | {("kubernetes:core/v1:ConfigMap", f"{NS}/bob-coder-agent")},
        ENVBOX_NS: frame(ENVBOX_NS) | workspace(ENVBOX_NS, "alice") | workspace(ENVBOX_NS, "carol"),
    }


def test_workloads_wait_for_their_own_namespace_and_guard_rails(full_stack: Run) -> None:
    """A workspace starts only once its namespace's policies exist: it never runs with open egress."""
    rails = ("cvm-workspace", "cvm-workspaces-deny-ingress", "cvm-workspaces-limit-egress")
    for name, namespace in NAMESPACES.items():
        deployment = full_stack.one("kubernetes:apps/v1:Deployment", f"{namespace}/{name}")
        expected = {namespace, *(f"{namespace}/{r}" for r in rails)}
        if name != "cvm-canary":
            expected |= {f"{namespace}/{name}-home", f"{namespace}/{name}-agent-token"}
        if namespace == NS:
            expected.add("sysbox-runc")  # the RuntimeClass
        if name == "bob":  # sysbox-runc and talking to Coder: its agent's unit
            expected.add(f"{namespace}/bob-coder-agent")
        assert {short(d) for d in deployment.dependencies} == expected, name
    # a home also waits for the check that it does not move, read from the stack's last outputs
    for name, expected_deps in (("alice-home", ["cvm-dev-previous", ENVBOX_NS]), ("alice-agent-token", [ENVBOX_NS])):
        (resource,) = [r for r in full_stack.kubernetes_objects if r.name == f"{ENVBOX_NS}/{name}"]
        assert sorted(short(d) for d in resource.dependencies) == expected_deps


@pytest.mark.parametrize(("config", "run"), [(FULL, "full_stack"), (ENVBOX_ONLY, "envbox_only_stack")])
def test_the_supervisor_registers_its_plan_and_nothing_else(
    config: dict[str, Any], run: str, request: pytest.FixtureRequest
) -> None:
    """Every object of the workspace plan (components/cvm/workspaces/plan.py), retained, waiting and replaced as
    planned (a replaced object is deleted first: it keeps its name); a gated object waits for the stack's own last
    outputs, read by the homes check."""
    settings = load_settings(stored_config(config), "dev", [f"cvm:{k}" for k in SECRET_KEYS])
    resolved = resolve.stack(
        settings.supervisor,
        sysbox_enabled=settings.sysbox.enabled,
        kubernetes_minor=settings.kubernetes_minor,
        platform=settings.platform,
    )
    made = plan.stack(resolved, seal=str)
    frames = {n.runtime: {p.role: logical_name(p.manifest) for p in n.objects} for n in made.namespaces}
    expected = {}
    groups: list[plan.NamespacePlan | plan.WorkspacePlan] = [*made.namespaces, *made.workspaces]
    for group in groups:
        names = {Role.RUNTIME_CLASS: RUNTIME_CLASS, **frames[group.runtime]}
        names |= {p.role: logical_name(p.manifest) for p in group.objects}
        for p in group.objects:
            waits = {names[role] for role in p.after} | ({"cvm-dev-previous"} if p.gated else set())
            replaced = (p.replaced_on, bool(p.replaced_on))
            expected[(p.manifest["kind"], logical_name(p.manifest))] = (p.retained, waits, replaced)
    registered = {
        (r.type.rsplit(":", 1)[1], r.name): (
            r.retain,
            {short(d) for d in r.dependencies},
            (r.replace_on_changes, r.delete_before_replace),
        )
        for r in request.getfixturevalue(run).resources
        if short(r.parent) == "workspaces"
    }
    assert registered == expected


def test_ingress_is_denied_and_the_account_mounts_no_token(full_stack: Run) -> None:
    for namespace in (NS, ENVBOX_NS):
        policy = full_stack.one(POLICY, f"{namespace}/cvm-workspaces-deny-ingress").manifest
        assert policy["spec"] == {
            "podSelector": {"matchLabels": {"app.kubernetes.io/component": "workspace"}},
            "policyTypes": ["Ingress"],
        }
        account = full_stack.one("kubernetes:core/v1:ServiceAccount", f"{namespace}/cvm-workspace").manifest
        assert account["automountServiceAccountToken"] is False


# DNS from kube-dns, and the internet without the private, shared, loopback and link-local ranges
def test_egress_is_limited_in_every_workspace_namespace(full_stack: Run, envbox_only_stack: Run) -> None:
    """Each namespace registers the pure builder's policy (its shape is tested in tests/unit/cvm)."""
    for run in (full_stack, envbox_only_stack):
        for namespace in (NS, ENVBOX_NS):
            policy = run.one(POLICY, f"{namespace}/cvm-workspaces-limit-egress").manifest
            assert policy == applied_by(
                objects.limit_egress(namespace, FULL["supervisor"]["coderUrl"] + "/", "baremetal"), "dev"
            )


@pytest.mark.parametrize(
    ("url", "rules"),
    [("http://coder.coder.svc.cluster.local:8080", 3), ("https://10.1.2.3", 3), ("https://coder.example.com", 2)],
    ids=["in-cluster Service", "private address", "public"],
)
def test_egress_reaches_coder(url: str, rules: int) -> None:
    """The program hands the stack's Coder URL to the policy: a rule of its own unless the internet covers it."""
    run = run_program({**FULL, "supervisor": {**FULL["supervisor"], "coderUrl": url}}, SECRET_KEYS)
    for namespace in (NS, ENVBOX_NS):
        policy = run.one(POLICY, f"{namespace}/cvm-workspaces-limit-egress").manifest
        normal = Supervisor.model_validate({"coderUrl": url}).coder_url_text  # pydantic's form of the URL
        assert policy == applied_by(objects.limit_egress(namespace, normal, "baremetal"), "dev")
        assert len(policy["spec"]["egress"]) == rules, namespace


KUBE_DNS = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}
NODELOCAL_DNS = {"ipBlock": {"cidr": "169.254.20.10/32"}}


def at(*addresses: str) -> list[dict[str, Any]]:
    return [{"ipBlock": {"cidr": f"{address}/32"}} for address in addresses]


DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]


@pytest.mark.parametrize(
    ("stack", "url", "dns", "coder"),
    [
        # GKE: Cloud DNS answers on the metadata address, on port 53 alone; an in-cluster Coder, its namespace on
        # its Service's port and the Coder pod's
        (
            CLOUDS["gke"],
            "http://coder.coder.svc.cluster.local",
            [KUBE_DNS, NODELOCAL_DNS, *at("169.254.169.254")],
            [
                {
                    "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "coder"}}}],
                    "ports": [{"protocol": "TCP", "port": 80}, {"protocol": "TCP", "port": 8080}],
                }
            ],
        ),
        # AKS: no metadata address for DNS, the kube-dns ClusterIP and LocalDNS's addresses; a private Coder, that
        # one address on its port
        (
            CLOUDS["aks"],
            "https://10.1.2.3:8443",
            [KUBE_DNS, NODELOCAL_DNS, *at("10.0.0.10", "169.254.10.10", "169.254.10.11")],
            [{"to": [{"ipBlock": {"cidr": "10.1.2.3/32"}}], "ports": [{"protocol": "TCP", "port": 8443}]}],
        ),
        (
            CLOUDS["eks"],
            "http://[fd00:10::5]:7080",
            [KUBE_DNS, NODELOCAL_DNS, *at("10.100.0.10", "172.20.0.10")],
            [{"to": [{"ipBlock": {"cidr": "fd00:10::5/128"}}], "ports": [{"protocol": "TCP", "port": 7080}]}],
        ),
        # a public Coder: the internet rule covers it, nothing more
        (
            {**FULL, "supervisor": {}},
            "https://coder.example.com",
            [KUBE_DNS, NODELOCAL_DNS, *at("10.96.0.10", "10.43.0.10")],
            [],
        ),
    ],
    ids=["gke in-cluster", "aks private address", "eks private IPv6", "baremetal public"],
)
def test_the_registered_egress_policy_has_exactly_the_intended_rules(
    stack: dict[str, Any], url: str, dns: list[dict[str, Any]], coder: list[dict[str, Any]]
) -> None:
    """What the program registers for a good Coder URL, rule by rule: DNS, the internet without the private and
    special-purpose blocks and WireServer (their lists: tests/unit/cvm/test_workspaces.py), and Coder's one rule."""
    run = run_program({**stack, "supervisor": {"coderUrl": url}}, SECRET_KEYS)
    spec = run.one(POLICY, f"{NS}/cvm-workspaces-limit-egress").manifest["spec"]
    internet = [
        {"ipBlock": {"cidr": "0.0.0.0/0", "except": list(network.NOT_INTERNET_IPV4)}},
        {"ipBlock": {"cidr": "::/0", "except": list(network.NOT_INTERNET_IPV6)}},
    ]
    assert spec["egress"] == [{"to": dns, "ports": DNS_PORTS}, {"to": internet}, *coder]
    assert "168.63.129.16/32" in network.NOT_INTERNET_IPV4


def test_homes_and_their_namespaces_outlive_the_stack_and_are_sized(full_stack: Run, envbox_only_stack: Run) -> None:
    volume = full_stack.one("kubernetes:core/v1:PersistentVolumeClaim", f"{NS}/bob-home")
    assert volume.manifest["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "50Gi"}},
        "storageClassName": "local-path",
    }
    # what reached the monitor: each home volume, and each namespace (deleting one deletes its homes), retained on
    # delete; nothing protected, so that removing a workspace never blocks the next `pulumi up`
    homes = {
        ("kubernetes:core/v1:PersistentVolumeClaim", f"{NAMESPACES[n]}/{n}-home") for n in ("alice", "bob", "carol")
    }
    namespaces = {("kubernetes:core/v1:Namespace", ns) for ns in (NS, ENVBOX_NS)}
    assert full_stack.retained == homes | namespaces and full_stack.protected == set()
    bob = ("kubernetes:core/v1:PersistentVolumeClaim", f"{NS}/bob-home")
    assert envbox_only_stack.retained == (homes - {bob}) | namespaces and envbox_only_stack.protected == set()
    assert full_stack.outputs["homes"]["bob"] == {"namespace": NS, "claim": "bob-home", "storageClass": "local-path"}


def test_the_canary_has_no_volume(bare_metal: Callable[..., Run]) -> None:
    run = bare_metal()
    assert run.of_type("kubernetes:core/v1:PersistentVolumeClaim") == [] and run.outputs["homes"] == {}


def test_skip_await_annotates_workloads_and_volumes() -> None:
    run = run_program({**FULL, "skipAwait": True}, SECRET_KEYS)
    for resource in run.of_type("kubernetes:apps/v1:Deployment") + run.of_type(
        "kubernetes:core/v1:PersistentVolumeClaim"
    ):
        assert resource.manifest["metadata"]["annotations"]["pulumi.com/skipAwait"] == "true"


def test_without_cvm_nodes_up_says_what_cannot_start_instead_of_waiting(bare_metal: Callable[..., Run]) -> None:
    """A bare-metal stack that lists no CVM node: its workspaces cannot be scheduled, and `up` would wait ten
    minutes for the canary; it warns, naming them, and does not wait."""
    workspace = {"name": "alice", "image": "ghcr.io/acme/workspace:2026.11", "runtime": "sysbox-runc"}
    run = bare_metal(supervisor={"workspaces": [workspace]})
    (warning,) = [w for w in run.warnings if "cvm:baremetal.nodes" in w]
    assert "lists no CVM node, so the canary, workspace 'alice' cannot be scheduled" in warning
    for name in ("cvm-canary", "alice"):
        metadata = run.one("kubernetes:apps/v1:Deployment", f"{NS}/{name}").manifest["metadata"]
        assert metadata["annotations"]["pulumi.com/skipAwait"] == "true", name
    # with a node listed, nothing is said and `up` waits for them
    listed = bare_metal(baremetal={"nodes": ["cvm-1"]}, supervisor={"workspaces": [workspace]})
    assert not [w for w in listed.warnings if "cvm:baremetal.nodes" in w]
    for name in ("cvm-canary", "alice"):
        metadata = listed.one("kubernetes:apps/v1:Deployment", f"{NS}/{name}").manifest["metadata"]
        assert "pulumi.com/skipAwait" not in metadata["annotations"]
