# Sourced by the installer double's scripts: `api METHOD PATH [DATA]` asks the API server as the pod's service
# account. The API server listens on the host's loopback; localcluster/node.py forwards the node's bridge address
# to it. The node's address is the first of this pod's subnet (the bridge's gateway; pods get no default route,
# so they reach nothing beyond the node): eth0's network in /proc/net/route, in little-endian hex, plus one.
account=/var/run/secrets/kubernetes.io/serviceaccount
hex=$(awk '$1 == "eth0" && $2 != "00000000" { print $2; exit }' /proc/net/route)
gateway="$((16#${hex:6:2})).$((16#${hex:4:2})).$((16#${hex:2:2})).$((16#${hex:0:2} + 1))"
api() {
  curl --fail --silent --show-error --cacert "$account/ca.crt" --resolve "kubernetes.default.svc:6443:$gateway" \
    -H "Authorization: Bearer $(cat "$account/token")" -H "Content-Type: application/merge-patch+json" \
    -X "$1" ${3:+--data "$3"} "https://kubernetes.default.svc:6443$2"
}
