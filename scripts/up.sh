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
pulumi up --stack dev --yes
pulumi stack output --stack dev
