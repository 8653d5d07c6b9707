"""The Sysbox runtime: the upstream installer DaemonSet, its RBAC and config, and the `sysbox-runc` RuntimeClass.

`manifests` mirrors nestybox/sysbox sysbox-k8s-manifests/sysbox-install.yaml of the pinned release (v0.7.x
differs from v0.6.7 only in the image tag; PR #1042). The installer labels CVM nodes `sysbox-runtime: running`
once Sysbox runs there, which is what the RuntimeClass schedules on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_kubernetes.node.v1 import RuntimeClass

from components.cvm import containerd_fix
from components.facts import issues
from components.facts.pins import CONTAINERD_IN_PLACE, SysboxRelease
from components.facts.platforms import Platform
from components.kube import manifest, register
from components.kube.names import (
    CVM_TAINT,
    INSTALL_LABEL,
    RUNNING_LABEL,
    RUNTIME_CLASS,
    SYSBOX_CLUSTER_ROLE,
    SYSBOX_CLUSTER_ROLE_BINDING,
    SYSBOX_CONFIG_MAP,
    SYSBOX_DAEMON_SET,
    SYSBOX_SERVICE_ACCOUNT,
    SYSTEM_NAMESPACE,
)

# name -> (host path, mount path) of the installer, in upstream order.
HOST_MOUNTS = {
    "host-etc": ("/etc", "/mnt/host/etc"),
    "host-osrelease": ("/etc/os-release", "/mnt/host/os-release"),
    "host-dbus": ("/var/run/dbus", "/var/run/dbus"),
    "host-run-systemd": ("/run/systemd", "/run/systemd"),
    "host-lib-systemd": ("/lib/systemd/system", "/mnt/host/lib/systemd/system"),
    "host-etc-systemd": ("/etc/systemd/system", "/mnt/host/etc/systemd/system"),
    "host-lib-sysctl": ("/lib/sysctl.d", "/mnt/host/lib/sysctl.d"),
    "host-opt-lib-sysctl": ("/opt/lib/sysctl.d", "/mnt/host/opt/lib/sysctl.d"),
    "host-usr-bin": ("/usr/bin/", "/mnt/host/usr/bin"),
    "host-opt-bin": ("/opt/bin/", "/mnt/host/opt/bin"),
    "host-usr-local-bin": ("/usr/local/bin/", "/mnt/host/usr/local/bin"),
    "host-opt-local-bin": ("/opt/local/bin/", "/mnt/host/opt/local/bin"),
    "host-usr-lib-mod-load": ("/usr/lib/modules-load.d", "/mnt/host/usr/lib/modules-load.d"),
    "host-opt-lib-mod-load": ("/opt/lib/modules-load.d", "/mnt/host/opt/lib/modules-load.d"),
    "host-run": ("/run", "/mnt/host/run"),
    "host-var-lib": ("/var/lib", "/mnt/host/var/lib"),
}


# Ready once the installer has labelled its node `sysbox-runtime: running`, the last step of an install
# (nestybox/sysbox-pkgr k8s/scripts/sysbox-deploy-k8s.sh): a rolling update then moves to the next
# node only after this one runs Sysbox, and `pulumi up` returns only when every CVM node does. The installer
# image labels nodes with kubectl, so the probe asks with kubectl too, through the same service account.
INSTALLED = {
    "exec": {
        "command": [
            "sh",
            "-c",
            'test "$(kubectl get node "$NODE_NAME" -o jsonpath=\'{.metadata.labels.sysbox-runtime}\')" = running',
        ]
    },
    "initialDelaySeconds": 10,
    "periodSeconds": 10,
    "timeoutSeconds": 10,
}


# The upstream command (sysbox-install.yaml), which on failure also leaves a termination message naming the
# node: Pulumi's rollout error quotes a failed container's message (pulumi/cloud-ready-checks
# pkg/kubernetes/pod/check.go), while the pod's name alone does not say which node it ran on.
INSTALL = (
    "/opt/sysbox/scripts/sysbox-deploy-k8s.sh ce install || { rc=$?; "
    'echo "cvm: the Sysbox installer failed on node $NODE_NAME (exit $rc); its log: '
    'kubectl -n kube-system logs --previous $HOSTNAME" | tee /dev/termination-log >&2; exit $rc; }'
)


# Where the installer runs: every CVM node. It taints its node while it works, and must keep running there; and
# it installs on a CVM pool that only workspaces tolerate (AKS, names.CVM_TAINT). A node without Sysbox cannot
# run a CVM: the installer is scheduled even on a full node. (cvm's containerd fix runs alongside, placed alike.)
PLACEMENT: dict[str, Any] = {
    "nodeSelector": dict(INSTALL_LABEL),
    "tolerations": [
        {"key": "sysbox-runtime", "operator": "Equal", "value": "not-running", "effect": "NoSchedule"},
        manifest.toleration(CVM_TAINT),
    ],
    "priorityClassName": "system-node-critical",
}


def _config_env(key: str) -> dict[str, Any]:
    return {"name": key, "valueFrom": {"configMapKeyRef": {"name": SYSBOX_CONFIG_MAP, "key": key}}}


def manifests(release: SysboxRelease, *, skip_await: bool = False) -> list[dict[str, Any]]:
    """The objects of sysbox-install.yaml for `release`, in apply order."""
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": SYSBOX_SERVICE_ACCOUNT, "namespace": SYSTEM_NAMESPACE},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": SYSBOX_CLUSTER_ROLE},
            "rules": [
                {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "patch"]},
                # lets the installer delete the sysbox pods of a node it reinstalls (upstream commit 0e5dc5e1)
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "delete", "watch"]},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": SYSBOX_CLUSTER_ROLE_BINDING},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": SYSBOX_CLUSTER_ROLE},
            "subjects": [{"kind": "ServiceAccount", "name": SYSBOX_SERVICE_ACCOUNT, "namespace": SYSTEM_NAMESPACE}],
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": SYSBOX_CONFIG_MAP, "namespace": SYSTEM_NAMESPACE},
            # extra flags for sysbox-mgr and sysbox-fs; empty upstream
            "data": {"SYSBOX_MGR_CONFIG": "", "SYSBOX_FS_CONFIG": ""},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": manifest.metadata(SYSBOX_DAEMON_SET, SYSTEM_NAMESPACE, skip_await=skip_await),
            "spec": {
                "selector": {"matchLabels": dict(INSTALL_LABEL)},
                "template": {
                    "metadata": {"labels": dict(INSTALL_LABEL)},
                    "spec": {
                        "serviceAccountName": SYSBOX_SERVICE_ACCOUNT,
                        **PLACEMENT,
                        "containers": [
                            {
                                "name": SYSBOX_DAEMON_SET,
                                "image": release.installer_image,
                                "imagePullPolicy": "Always",
                                "command": ["bash", "-c", INSTALL],
                                "env": [
                                    {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                                    _config_env("SYSBOX_MGR_CONFIG"),
                                    _config_env("SYSBOX_FS_CONFIG"),
                                ],
                                # it installs packages and systemd units on the host and restarts the runtime
                                "securityContext": {"privileged": True},
                                # requests so that it is placed; no limits: it builds and installs packages on the
                                # host once, and killing it halfway would leave the node's runtime half-configured
                                "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}},
                                "readinessProbe": INSTALLED,
                                "volumeMounts": [{"name": n, "mountPath": m} for n, (_, m) in HOST_MOUNTS.items()],
                            }
                        ],
                        "volumes": [{"name": n, "hostPath": {"path": p}} for n, (p, _) in HOST_MOUNTS.items()],
                    },
                },
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            },
        },
        {
            "apiVersion": "node.k8s.io/v1",
            "kind": "RuntimeClass",
            "metadata": {"name": RUNTIME_CLASS},
            "handler": RUNTIME_CLASS,
            "scheduling": {"nodeSelector": dict(RUNNING_LABEL)},
        },
    ]


def known_problems(platform: str, release: SysboxRelease, *, containerd_fix: bool = False) -> list[str]:
    """Upstream problems that this platform and release are known to meet (facts/issues.py), but those the
    stack works around (`containerd_fix`: cvm:sysbox.containerdFix)."""
    fixes = frozenset({issues.SYSBOX_997.fix} if containerd_fix else ())
    problems = [f"{issue.what} ({issue.id})" for issue in issues.warned(platform, release.version, fixes)]
    if not release.keeps_containerd:
        problems.append(
            f"Sysbox {release.version} always switches its nodes to CRI-O and restarts kubelet, which brings every "
            f"pod on the node down for about a minute (nestybox/sysbox docs/user-guide/install-k8s.md); 0.7.x keeps "
            f"containerd >= {CONTAINERD_IN_PLACE}"
        )
    return problems


@dataclass(frozen=True, kw_only=True)
class SysboxRuntimeArgs:
    release: SysboxRelease
    platform: Platform
    skip_await: bool = False
    containerd_fix: bool = False  # cvm:sysbox.containerdFix: components/cvm/containerd_fix.py on the CVM nodes


class SysboxRuntime(pulumi.ComponentResource):
    """Sysbox on every node labelled `sysbox-install: "yes"`, and the `sysbox-runc` RuntimeClass."""

    def __init__(self, name: str, args: SysboxRuntimeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cvm:index:SysboxRuntime", name, None, opts)
        for problem in known_problems(args.platform, args.release, containerd_fix=args.containerd_fix):
            pulumi.log.warn(problem, resource=self)
        *installer, runtime_class = manifests(args.release, skip_await=args.skip_await)
        fix = (
            containerd_fix.manifests(args.release, PLACEMENT, skip_await=args.skip_await) if args.containerd_fix else []
        )
        made: list[pulumi.CustomResource] = []
        for obj in [*installer, *fix]:
            # the installer's pods start only once their account, role and config exist (and the fix's, its script)
            needs = list(made) if obj["kind"] == "DaemonSet" else []
            made.append(register.create(obj, pulumi.ResourceOptions(parent=self, depends_on=needs)))
        self.runtime_class = register.create(runtime_class, pulumi.ResourceOptions(parent=self), kind=RuntimeClass)
        self.runtime_class_name: pulumi.Output[str] = self.runtime_class.metadata.name
        self.register_outputs({"runtimeClassName": self.runtime_class_name})
