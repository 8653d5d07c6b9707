#!/usr/bin/env bash
# The requirements file a stack's job installs: requirements/<platform>.txt, the platform read from the stack
# name's prefix as the workflows name stacks (metal-, gke-, aks-, eks-; .github/workflows/stack.yml).
set -euo pipefail
stack=${1:?usage: scripts/requirements.sh <stack>}
case ${stack%%-*} in
  metal) echo requirements/baremetal.txt ;;
  gke | aks | eks) echo "requirements/${stack%%-*}.txt" ;;
  *)
    echo "stack '$stack': its name must start with the platform: metal-, gke-, aks- or eks-" >&2
    exit 1
    ;;
esac
