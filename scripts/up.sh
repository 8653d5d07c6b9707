#!/usr/bin/env bash
# `make up CLUSTER=<context>`: `pulumi up` of the dev stack on that context of your kubeconfig ($KUBECONFIG, else
# ~/.kube/config), with your own Pulumi CLI (its Python language host runs the program from venv/, as
# Pulumi.yaml says). It shows the preview and asks before it applies; YES=1 applies without asking.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${CLUSTER:-}" ]; then
  echo "make up: a real cluster is used only when named: make up CLUSTER=<context>" >&2
  exit 2
fi
say() { echo "make up CLUSTER=$CLUSTER: $*" >&2; }
# refused before anything runs: with no terminal to ask on, applying must be asked for
if [ "${YES:-}" != 1 ] && [ ! -t 0 ]; then
  say "no terminal to ask on before applying; add YES=1 to apply without asking"
  exit 2
fi
if ! command -v pulumi >/dev/null 2>&1; then
  say "the Pulumi CLI is missing (no 'pulumi' on PATH); install it" \
    "(https://www.pulumi.com/docs/iac/download-install/), or run \`make up\` for the local cluster"
  exit 2
fi
# The program reads the ambient kubeconfig: hand it one reduced to CLUSTER's context (made current; written by
# components/clusters/named_context.py), in a temporary file, so the run goes where it was named whatever the
# current context, and no file of yours changes.
kubeconfig="$(mktemp)"
trap 'rm -f "$kubeconfig"' EXIT
venv/bin/python -m components.clusters.named_context "$CLUSTER" "$kubeconfig" || exit 2
export KUBECONFIG="$kubeconfig"

# A local state backend unless the operator chose one (pulumi login, or PULUMI_BACKEND_URL).
if [ -z "${PULUMI_BACKEND_URL:-}" ] && ! pulumi whoami >/dev/null 2>&1; then
  mkdir -p .pulumi-state
  export PULUMI_BACKEND_URL="file://$PWD/.pulumi-state"
fi
pulumi stack select dev --create
context="$(pulumi config get --path baremetal.context --stack dev 2>/dev/null || true)"
if [ -n "$context" ] && [ "$context" != "$CLUSTER" ]; then
  say "Pulumi.dev.yaml sets cvm:baremetal.context = '$context'; name that one, or remove the key"
  exit 2
fi
# A bare-metal stack writes its state once, at the end, not after every step (docs/performance.md, "At scale"):
# its every resource is a named Kubernetes object that a rerun after an interruption re-adopts. A cloud stack
# keeps Pulumi's checkpoints, since a cloud resource an interrupted run made would be lost to the state.
if [ "$(pulumi config get platform --stack dev)" = baremetal ]; then
  export PULUMI_SKIP_CHECKPOINTS="${PULUMI_SKIP_CHECKPOINTS:-true}"
fi
pulumi preview --stack dev
if [ "${YES:-}" != 1 ]; then
  read -r -p "Apply this to the cluster of context '$CLUSTER'? [y/N] " answer
  case "$answer" in
    y | Y | yes) ;;
    *)
      say "nothing applied"
      exit 1
      ;;
  esac
fi
pulumi up --stack dev --yes --skip-preview
pulumi stack output --stack dev
