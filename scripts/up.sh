#!/usr/bin/env bash
# `make up` with a cluster in the kubeconfig: `pulumi up` of the dev stack there, with your own Pulumi CLI
# (its Python language host runs the program from venv/, as Pulumi.yaml says).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pulumi >/dev/null 2>&1; then
  echo "make up: your kubeconfig names a cluster, but the Pulumi CLI is missing (no 'pulumi' on PATH);" >&2
  echo "install it (https://www.pulumi.com/docs/iac/download-install/), or unset KUBECONFIG and move" >&2
  echo "~/.kube/config aside to run on the local control plane instead." >&2
  exit 2
fi
# A local state backend unless the operator chose one (pulumi login, or PULUMI_BACKEND_URL).
if [ -z "${PULUMI_BACKEND_URL:-}" ] && ! pulumi whoami >/dev/null 2>&1; then
  mkdir -p .pulumi-state
  export PULUMI_BACKEND_URL="file://$PWD/.pulumi-state"
fi
pulumi stack select dev --create
# A bare-metal stack writes its state once, at the end, not after every step (docs/performance.md, "At scale"):
# its every resource is a named Kubernetes object that a rerun after an interruption re-adopts. A cloud stack
# keeps Pulumi's checkpoints, since a cloud resource an interrupted run made would be lost to the state.
if [ "$(pulumi config get platform --stack dev)" = baremetal ]; then
  export PULUMI_SKIP_CHECKPOINTS="${PULUMI_SKIP_CHECKPOINTS:-true}"
fi
pulumi up --stack dev --yes
pulumi stack output --stack dev
