"""The `sysbox-runc` runtime where containerd 2.x reads it (nestybox/sysbox#997), on CVM nodes that opt in.

Sysbox 0.7.x's installer adds `sysbox-runc` to containerd >= 2.0.5 in place: it writes the runtime under the
config-version-2 CRI key, `plugins."io.containerd.grpc.v1.cri".containerd.runtimes.sysbox-runc`, in
/etc/containerd/config.toml (dasel), then runs `systemctl restart containerd` (nestybox/sysbox-pkgr
k8s/scripts/sysbox-deploy-k8s.sh `config_containerd_for_sysbox` @da2d2bff; k3s and RKE2 get a drop-in instead).
containerd 2.x reads runtimes under `io.containerd.cri.v1.runtime`. It reads the old key only through its config
migration, and only when the file is below version 3; the migration copies the old `containerd` table's keys
that the new one lacks, so an existing `io.containerd.cri.v1.runtime` runtimes table (runc's) wins and the old
`sysbox-runc` is dropped (containerd v2.2.9 plugins/cri/runtime/plugin.go `configMigration`, `migrateConfig`).
AKS's Ubuntu 24.04 nodes (1.35+) have exactly that: `version = 2` with runc under `io.containerd.cri.v1.runtime`
(Azure/AgentBaker aks-node-controller/parser/templates/containerd_v2_no_GPU.toml.gtpl @e3422a58); a
`containerd config default` of 2.x is version 3, which ignores the old key outright. Either way pods fail
"the handler sysbox-runc is not known".

The fix is one small DaemonSet beside the installer, on the same nodes, with the installer's own (pinned) image:
once the installer's entry is there and the file has been quiet for a poll, it copies that entry, unchanged,
under the key containerd reads, appends it to the file with a marker, and restarts containerd as the installer
does (`systemctl` through the host's systemd). It is ready only while containerd reads a `sysbox-runc` runtime,
so `pulumi up` waits for it. It mounts /etc/containerd and systemd's and D-Bus's sockets, nothing else of the
host, runs as root without capabilities, and never edits a file whose shape it does not recognise (tables with
full-path headers, as dasel and AgentBaker write them): there it stays unready, and the canary says so.

Removing it leaves the appended block (marked `# cvm: nestybox/sysbox#997`): docs/operations.md says how to take
it out. Proven on the local node's real containerd 2.2.9 with an AKS-shaped config (tests/node/test_containerd2.py),
where `systemctl` is a test double; the real systemd restart is the installer's own step, not proven here.
"""

from __future__ import annotations

from typing import Any

from components.facts.pins import SysboxRelease
from components.kube import manifest
from components.kube.names import CONTAINERD_FIX, SYSTEM_NAMESPACE

CONFIG_DIR = "/etc/containerd"  # where the installer edits config.toml (sysbox-deploy-k8s.sh host_containerd_conf_file)
MOUNT = "/mnt/host/etc/containerd"  # the installer's own path for it
MARKER = "# cvm: nestybox/sysbox#997"
SCRIPT_PATH = "/opt/cvm/containerd2.sh"

# `run` (the container) or `check` (its readiness probe). Bash alone: the installer image has no TOML tool but
# dasel, whose output format differs by version, so tables are found by their headers.
SCRIPT = r"""#!/bin/bash
# cvm: put Sysbox's sysbox-runc runtime where containerd 2.x reads it (nestybox/sysbox#997); see
# components/cvm/containerd_fix.py in cvm for why and how.
set -euo pipefail
config=${CVM_CONTAINERD_CONFIG:-/mnt/host/etc/containerd/config.toml}
q="[\"']"
old="plugins\\.${q}io\\.containerd\\.grpc\\.v1\\.cri${q}\\.containerd\\.runtimes"
new="plugins\\.${q}io\\.containerd\\.cri\\.v1\\.runtime${q}\\.containerd\\.runtimes"
sb="${q}?sysbox-runc${q}?"  # a bare key, or quoted
header='^[[:space:]]*\[[[:space:]]*([^][]+[^][[:space:]])[[:space:]]*\][[:space:]]*(#.*)?$'

tables() {  # every table header's name, one a line
  while IFS= read -r line; do
    if [[ $line =~ $header ]]; then printf '%s\n' "${BASH_REMATCH[1]}"; fi
  done <"$config"
}
has() { tables | grep -E "^$1(\\.|\$)" >/dev/null; }  # not -q: it would stop reading early
version() {  # the top-level `version` (before the first table); containerd takes none as 1
  while IFS= read -r line; do
    if [[ $line =~ $header ]]; then break; fi
    if [[ $line =~ ^[[:space:]]*version[[:space:]]*=[[:space:]]*([0-9]+) ]]; then echo "${BASH_REMATCH[1]}"; return; fi
  done <"$config"
  echo 1
}
# whether containerd reads a sysbox-runc runtime from this file: under the new key; or under the old one
# where its migration carries it over (below version 3, and no runtimes table under the new key)
reads_sysbox() {
  has "$new\\.$sb" && return 0
  has "$old\\.$sb" && [ "$(version)" -lt 3 ] && ! has "$new"
}
# the installer's sysbox-runc tables, renamed to the new key, once they name the binary
moved() {
  local inside=0 out="" line name binary=0
  while IFS= read -r line; do
    if [[ $line =~ $header ]]; then
      name=${BASH_REMATCH[1]} inside=0
      if [[ $name =~ ^$old\.$sb(\.|$) ]]; then
        inside=1 name=${name#*sysbox-runc}
        line="[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.sysbox-runc${name#[\"\']}]"
      fi
    fi
    if [ $inside = 1 ]; then
      out+="$line"$'\n'
      if [[ $line =~ ^[[:space:]]*BinaryName[[:space:]]*= ]]; then binary=1; fi
    fi
  done <"$config"
  [ $binary = 1 ] && printf '%s' "$out"
}

# one pass over the file as it is now: add the entry where containerd would not read it, then restart containerd
step() {
  local before block
  before=$(cat "$config")
  reads_sysbox && return 0
  has "$old\\.$sb" || return 0
  block=$(moved) || return 0
  echo "cvm: containerd does not read the installer's sysbox-runc entry; adding it under io.containerd.cri.v1.runtime"
  printf '\n%s\n%s\n' "__MARKER__" "$block" >>"$config"
  if ! systemctl restart containerd; then
    echo "cvm: restarting containerd failed; the file is put back" >&2
    printf '%s\n' "$before" >"$config"
    return 1
  fi
  echo "cvm: containerd restarted; it reads sysbox-runc now"
}

case "${1:-run}" in
check) [ -f "$config" ] && reads_sysbox ;;
step) step ;;
run)  # every 10 s, a step on a file that has not changed since the last look (the installer writes in steps)
  echo "cvm: watching $config for Sysbox's sysbox-runc runtime (nestybox/sysbox#997)"
  last=""
  trap 'exit 0' TERM
  while true; do
    now=$(cat "$config" 2>/dev/null || true)
    if [ -n "$now" ] && [ "$now" = "$last" ]; then step; fi
    last=$now
    sleep 10 &
    wait $!
  done
  ;;
esac
""".replace("__MARKER__", MARKER)


def manifests(release: SysboxRelease, placement: dict[str, Any], *, skip_await: bool = False) -> list[dict[str, Any]]:
    """The script's ConfigMap and the DaemonSet that runs it where `placement` says (the installer's nodes),
    in apply order."""
    name = CONTAINERD_FIX
    probe = {"exec": {"command": ["bash", SCRIPT_PATH, "check"]}, "periodSeconds": 10}
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": SYSTEM_NAMESPACE},
            "data": {"containerd2.sh": SCRIPT},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": manifest.metadata(name, SYSTEM_NAMESPACE, skip_await=skip_await),
            "spec": {
                "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                "template": {
                    "metadata": {"labels": {"app.kubernetes.io/name": name}},
                    "spec": {
                        **placement,  # the installer's (components/cvm/sysbox.py PLACEMENT)
                        "automountServiceAccountToken": False,
                        "containers": [
                            {
                                "name": "containerd2",
                                "image": release.installer_image,
                                "command": ["bash", SCRIPT_PATH, "run"],
                                # root, for the root-owned config and systemd's socket; no capability beyond
                                "securityContext": {
                                    "runAsUser": 0,
                                    "privileged": False,
                                    "allowPrivilegeEscalation": False,
                                    "readOnlyRootFilesystem": True,
                                    "capabilities": {"drop": ["ALL"]},
                                },
                                "readinessProbe": probe,
                                "resources": {
                                    "requests": {"cpu": "10m", "memory": "16Mi"},
                                    "limits": {"memory": "64Mi"},
                                },
                                "volumeMounts": [
                                    {"name": "script", "mountPath": "/opt/cvm", "readOnly": True},
                                    {"name": "containerd-config", "mountPath": MOUNT},
                                    {"name": "host-run-systemd", "mountPath": "/run/systemd"},
                                    {"name": "host-dbus", "mountPath": "/var/run/dbus"},
                                ],
                            }
                        ],
                        "volumes": [
                            {"name": "script", "configMap": {"name": name}},
                            {"name": "containerd-config", "hostPath": {"path": CONFIG_DIR, "type": "Directory"}},
                            {"name": "host-run-systemd", "hostPath": {"path": "/run/systemd"}},
                            {"name": "host-dbus", "hostPath": {"path": "/var/run/dbus"}},
                        ],
                    },
                },
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            },
        },
    ]
