#!/bin/bash
# A TEST DOUBLE of Sysbox's installer script (sysbox-deploy-k8s.sh), served on the local node under the real
# installer's image name. It does two things the real installer does: it adds its `sysbox-runc` runtime to the
# node's containerd config where the real one writes it (`config_containerd_for_sysbox`: under
# `io.containerd.grpc.v1.cri`, only when no `runtimes.sysbox-runc` is there) and restarts containerd
# (`systemctl`, a double too); then it labels the node `sysbox-runtime=running` through its service account (so the
# installer's RBAC is exercised), and stays, as the real DaemonSet's pod does. Unlike the real one it restarts
# containerd only when it wrote. On a node labelled `cvm-e2e/install-fails` it fails instead (exit 3), so that the
# suite sees what a failed rollout says. The runtime's binary is the test double localcluster/sysbox_runc_double.py;
# its entry comes from localcluster/node_config.py `installer_entry`, written by localcluster/node.py.
set -euo pipefail
source /opt/sysbox/scripts/api.sh
# a node the suite labelled cvm-e2e/install-fails: fail as an installer does on a node it cannot set up
# (read whole first: `grep -q` stops reading at its match, and curl's SIGPIPE would fail the pipeline)
node=$(api GET "/api/v1/nodes/$NODE_NAME")
if grep -q '"cvm-e2e/install-fails"' <<<"$node"; then
  echo "sysbox-deploy-k8s (test double): failing on node $NODE_NAME, as asked" >&2
  exit 3
fi
# the node's containerd config, under the host's /run (the real one: /mnt/host/etc/containerd/config.toml)
config=/mnt/host/run/cvm-e2e/etc-containerd/config.toml
if grep -q "runtimes.sysbox-runc" "$config"; then
  echo "sysbox-deploy-k8s (test double): sysbox-runc runtime already configured in containerd config"
else
  echo "sysbox-deploy-k8s (test double): adding sysbox-runc under io.containerd.grpc.v1.cri; restarting containerd"
  cat /mnt/host/run/cvm-e2e/installer-entry.toml >>"$config"
  systemctl restart containerd
fi
echo "sysbox-deploy-k8s (test double): labelling node $NODE_NAME sysbox-runtime=running"
api PATCH "/api/v1/nodes/$NODE_NAME" '{"metadata":{"labels":{"sysbox-runtime":"running"}}}' >/dev/null
echo "sysbox-deploy-k8s (test double): done; sleeping"
# PID 1 ignores a signal it has no handler for: end on TERM, so that deleting the pod takes no grace period
trap 'exit 0' TERM
sleep infinity &
wait
