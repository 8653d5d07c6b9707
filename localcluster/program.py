"""The project's program as the local engine runs it (`localcluster.engine`), in its own process through the
Automation API's inline path, with one local change: no home is awaited (`homes_not_awaited`). Needs no Go."""

from __future__ import annotations

import runpy
import sys
from typing import Any

import pulumi

from components.kube.manifest import SKIP_AWAIT
from localcluster import ROOT


def homes_not_awaited(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
    """The provider waits 5 minutes, then fails, on a home whose class binds on first use (`local-path`, as
    the clouds' default classes) in two cases: any update of it bound, in the 4.25.0 built here
    (pulumi/pulumi-kubernetes#4179, fixed by #4181 after it), which `make up NODE=1` after a `make up` without
    a node makes (its skipAwait annotation goes); and a create that adopts it bound, adding a workspace back
    (`untilCoreV1PersistentVolumeClaimReady` waits for Pending on a create: provider/pkg/await/awaiters.go at
    94977969d, v4.32.0 and 27 commits). So no home is awaited here: the workspace's Deployment is, and its pod
    is Ready only with its home bound."""
    if args.type_ != "kubernetes:core/v1:PersistentVolumeClaim":
        return None

    def annotated(fields: dict[str, Any]) -> dict[str, Any]:
        return {**fields, "annotations": {**(fields.get("annotations") or {}), **SKIP_AWAIT}}

    props = {**args.props, "metadata": pulumi.Output.from_input(args.props["metadata"]).apply(annotated)}
    return pulumi.ResourceTransformationResult(props, args.opts)


def program() -> None:
    """`__main__.py`, run in this process as the language host would run it (homes not awaited: above)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    pulumi.runtime.register_stack_transformation(homes_not_awaited)
    runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
