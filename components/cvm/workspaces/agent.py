"""Coder's agent in a workspace, started the way Coder's own bootstrap does it (coder/coder
provisionersdk/scripts/bootstrap_linux.sh): fetch `<coderUrl>/bin/coder-linux-<arch>` from the deployment,
retrying while it is unreachable, and run `coder agent` as the workspace user with the workspace's token.

- envbox runs the script given in `CODER_BOOTSTRAP_SCRIPT` inside the inner container, as the image's user,
  with `BINARY_DIR` set to `~/.coder` and `CODER_AGENT_TOKEN` passed in (coder/envbox 0.6.7 cli/docker.go).
- A `sysbox-runc` workspace boots its image's own systemd, so the pod brings a unit and the script from a
  ConfigMap, mounted where systemd finds them: any image with `/sbin/init` works, not only ours. The token
  reaches the unit from the pod's environment (`PassEnvironment`), itself from the workspace's Secret.
Pure: the script is text the resolver (resolve.py) writes into a workspace; the files and mounts render a
resolved workspace.
"""

from __future__ import annotations

import shlex
from typing import Any

from components.cvm.workspaces.resolved import ResolvedWorkspace

SCRIPT = "coder-agent.sh"
UNIT = "coder-agent.service"
WANTED = "cvm-coder-agent.conf"
SCRIPT_PATH = f"/opt/cvm/{SCRIPT}"
UNIT_PATH = f"/etc/systemd/system/{UNIT}"
# enabled by a drop-in that makes the boot target want it: systemd ignores a mounted regular file in a
# `.wants` directory (`systemctl enable` makes a symlink there, which a volume cannot), as the real node showed
WANTED_PATH = f"/etc/systemd/system/multi-user.target.d/{WANTED}"
WANTED_TEXT = f"[Unit]\nWants={UNIT}\n"
RETRY_SECONDS = 30


def script(coder_url: str) -> str:
    """The bootstrap script, with the deployment's URL written in (envbox passes no URL to the inner container)."""
    url = shlex.quote(coder_url.rstrip("/"))
    return f"""#!/bin/sh
# cvm: start Coder's agent (as Coder's bootstrap_linux.sh does)
set -eu
url={url}
case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  armv7l) arch=armv7 ;;
  *) echo "cvm: no Coder agent for $(uname -m)" >&2; exit 1 ;;
esac
dir="${{BINARY_DIR:-$HOME/.coder}}"
mkdir -p "$dir"
fetch() {{
  if command -v curl >/dev/null 2>&1; then curl -fsSL --compressed -o "$dir/coder.part" "$1"
  elif command -v wget >/dev/null 2>&1; then wget -q -O "$dir/coder.part" "$1"
  else busybox wget -q -O "$dir/coder.part" "$1"
  fi
}}
until fetch "$url/bin/coder-linux-$arch"; do
  echo "cvm: cannot fetch the agent from $url yet; trying again in {RETRY_SECONDS} s" >&2
  sleep {RETRY_SECONDS}
done
chmod +x "$dir/coder.part" && mv "$dir/coder.part" "$dir/coder"
export CODER_AGENT_AUTH=token CODER_AGENT_URL="$url/"
exec "$dir/coder" agent
"""


# Where a workspace finds the CAs of `supervisor.caCertificates`: the sysbox-runc pod mounts the ConfigMap there;
# under envbox the outer container's copy is bind-mounted there in the inner container (pods.py).
CA_DIR = "/etc/cvm/ca-certificates"
# The system bundles of the ca-certificates packages (Debian and Ubuntu, Fedora and RHEL, Alpine and others):
# the first found is kept beside the supervisor's CAs.
SYSTEM_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem")


def trust_lines(ca_dir: str = CA_DIR) -> str:
    """Shell lines, run before the bootstrap script, that make the agent's download and the agent trust the CAs
    in `ca_dir` beside the system's: one bundle of both, in `BINARY_DIR`, named in SSL_CERT_FILE (OpenSSL, so
    wget, and Go's crypto/x509, so the agent) and CURL_CA_BUNDLE (curl's own variable, curl.1 "ENVIRONMENT").
    Coder's bootstrap_linux.sh downloads with curl or wget and `exec`s the agent, which keeps the variables."""
    systems = " ".join(SYSTEM_BUNDLES)
    return f"""# cvm: trust the CAs of supervisor.caCertificates beside the system's
cvm_bundle="${{BINARY_DIR:-$HOME/.coder}}/cvm-ca-bundle.pem"
mkdir -p "${{cvm_bundle%/*}}"
{{
  for cvm_ca in {systems}; do
    if [ -f "$cvm_ca" ]; then cat "$cvm_ca"; break; fi
  done
  for cvm_ca in {shlex.quote(ca_dir)}/*; do
    if [ -f "$cvm_ca" ]; then cat "$cvm_ca"; echo; fi
  done
}} > "$cvm_bundle.part" && mv "$cvm_bundle.part" "$cvm_bundle"
export SSL_CERT_FILE="$cvm_bundle" CURL_CA_BUNDLE="$cvm_bundle"
"""


def bootstrap(coder_url: str, given: str | None, ca_certificates: str | None) -> str:
    """What a workspace runs to start the agent: `given` (a Coder template's, Coder's own init script), or cvm's
    own `script`; after `trust_lines` when the supervisor names CAs."""
    text = script(coder_url) if given is None else given
    return trust_lines() + text if ca_certificates is not None else text


def unit(username: str, home: str) -> str:
    """The systemd unit that runs the script as the workspace user, and again whenever the agent exits."""
    binary_dir = f"{home}/.coder"
    return f"""[Unit]
Description=Coder agent (started by cvm)
Wants=network-online.target
After=network-online.target

[Service]
User={username}
# the home is the user's by then (the pod's home-owner init container, pods.py); the agent is kept there
Environment=HOME={home} BINARY_DIR={binary_dir}
PassEnvironment=CODER_AGENT_TOKEN
# Coder's init script cds into BINARY_DIR under `set -e` and makes no folder (coder/coder
# provisionersdk/scripts/bootstrap_linux.sh at 6f2a1369); a fresh home has none
ExecStartPre=/bin/mkdir -p {binary_dir}
ExecStart=/bin/sh {SCRIPT_PATH}
Restart=always
RestartSec=10

[Install]
WantedBy=multi-user.target
"""


def config_map(workspace: ResolvedWorkspace) -> dict[str, Any]:
    """The agent's files of a workspace whose pod's systemd starts it: the unit, and the script it runs (cvm's own
    `script`, or a Coder template's)."""
    assert workspace.agent is not None and workspace.agent.files is not None, "a workspace without agent files"
    data = {SCRIPT: workspace.agent.script, UNIT: unit(workspace.username, workspace.home), WANTED: WANTED_TEXT}
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": workspace.agent.files, "namespace": workspace.namespace},
        "data": data,
    }


def sysbox_volume(files: str) -> dict[str, Any]:
    """The volume of the agent's files, the ConfigMap `files`."""
    return {"name": "coder-agent", "configMap": {"name": files, "defaultMode": 0o444}}


def sysbox_mounts() -> list[dict[str, Any]]:
    files = ((SCRIPT_PATH, SCRIPT), (UNIT_PATH, UNIT), (WANTED_PATH, WANTED))
    return [{"name": "coder-agent", "mountPath": path, "subPath": key, "readOnly": True} for path, key in files]
