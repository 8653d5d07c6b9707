#!/bin/bash
# A TEST DOUBLE of Sysbox's installer script (sysbox-deploy-k8s.sh), served on the local node under the real
# installer's image name. It does only what the real installer does to the *cluster* once Sysbox runs on its
# node: label the node `sysbox-runtime=running` through its service account (so the installer's RBAC is
# exercised); then it stays, as the real DaemonSet's pod does. It touches nothing on the host: the node's
# `sysbox-runc` handler is the test double e2e/sysbox_runc_double.py, configured by e2e/node.py.
set -euo pipefail
account=/var/run/secrets/kubernetes.io/serviceaccount
# The API server listens on the host's loopback; e2e/node.py forwards the node's bridge address to it.
# The node's address is the first of this pod's subnet (the bridge's gateway; pods get no default route, so
# they reach nothing beyond the node): eth0's network in /proc/net/route, in little-endian hex, plus one.
hex=$(awk '$1 == "eth0" && $2 != "00000000" { print $2; exit }' /proc/net/route)
gateway="$((16#${hex:6:2})).$((16#${hex:4:2})).$((16#${hex:2:2})).$((16#${hex:0:2} + 1))"
echo "sysbox-deploy-k8s (test double): labelling node $NODE_NAME sysbox-runtime=running"
curl --fail --silent --show-error --cacert "$account/ca.crt" \
  --resolve "kubernetes.default.svc:6443:$gateway" \
  -H "Authorization: Bearer $(cat "$account/token")" \
  -H "Content-Type: application/merge-patch+json" -X PATCH \
  --data '{"metadata":{"labels":{"sysbox-runtime":"running"}}}' \
  "https://kubernetes.default.svc:6443/api/v1/nodes/$NODE_NAME" >/dev/null
echo "sysbox-deploy-k8s (test double): done; sleeping"
# PID 1 ignores a signal it has no handler for: end on TERM, so that deleting the pod takes no grace period
trap 'exit 0' TERM
sleep infinity &
wait
