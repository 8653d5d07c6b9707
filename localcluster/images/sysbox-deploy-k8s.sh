#!/bin/bash
# A TEST DOUBLE of Sysbox's installer script (sysbox-deploy-k8s.sh), served on the local node under the real
# installer's image name. It does only what the real installer does to the *cluster* once Sysbox runs on its
# node: label the node `sysbox-runtime=running` through its service account (so the installer's RBAC is
# exercised); then it stays, as the real DaemonSet's pod does. On a node labelled `cvm-e2e/install-fails` it
# fails instead (exit 3), so that the suite sees what a failed rollout says. It touches nothing on the host: the node's
# `sysbox-runc` handler is the test double localcluster/sysbox_runc_double.py, configured by localcluster/node.py.
set -euo pipefail
source /opt/sysbox/scripts/api.sh
# a node the suite labelled cvm-e2e/install-fails: fail as an installer does on a node it cannot set up
# (read whole first: `grep -q` stops reading at its match, and curl's SIGPIPE would fail the pipeline)
node=$(api GET "/api/v1/nodes/$NODE_NAME")
if grep -q '"cvm-e2e/install-fails"' <<<"$node"; then
  echo "sysbox-deploy-k8s (test double): failing on node $NODE_NAME, as asked" >&2
  exit 3
fi
echo "sysbox-deploy-k8s (test double): labelling node $NODE_NAME sysbox-runtime=running"
api PATCH "/api/v1/nodes/$NODE_NAME" '{"metadata":{"labels":{"sysbox-runtime":"running"}}}' >/dev/null
echo "sysbox-deploy-k8s (test double): done; sleeping"
# PID 1 ignores a signal it has no handler for: end on TERM, so that deleting the pod takes no grace period
trap 'exit 0' TERM
sleep infinity &
wait
