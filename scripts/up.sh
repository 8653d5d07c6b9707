#!/usr/bin/env bash
# The main job: `pulumi up` of the dev stack against the cluster of the current kubeconfig.
# Run by `make up`, which has set up the virtualenv first.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v pulumi >/dev/null 2>&1 || missing+=("the Pulumi CLI (https://www.pulumi.com/docs/iac/download-install/): no 'pulumi' on PATH")
kubeconfig="${KUBECONFIG:-$HOME/.kube/config}"
found_kubeconfig=""
IFS=: read -r -a kubeconfig_paths <<<"$kubeconfig"
for path in "${kubeconfig_paths[@]}"; do [ -f "$path" ] && found_kubeconfig="$path"; done
if [ -z "$found_kubeconfig" ] && ! grep -q "baremetal" Pulumi.dev.yaml; then
  missing+=("a cluster: no kubeconfig at ${kubeconfig} and no cvm:baremetal.kubeconfig in Pulumi.dev.yaml")
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "make up cannot run; missing:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 2
fi

# A local state backend unless the operator chose one (pulumi login, or PULUMI_BACKEND_URL).
if [ -z "${PULUMI_BACKEND_URL:-}" ] && ! pulumi whoami >/dev/null 2>&1; then
  mkdir -p .pulumi-state
  export PULUMI_BACKEND_URL="file://$PWD/.pulumi-state"
fi
pulumi stack select dev --create
pulumi up --stack dev --yes
pulumi stack output --stack dev
