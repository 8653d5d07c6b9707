"""The runtimes a workspace may run under, spelled here once, each with what it needs of the cluster.

`Runtime` is the type of `cvm:supervisor.workspaces[i].runtime` (its values are the config's strings), of the
workspace plan and of the Coder template's `runtime` parameter. A new runtime is a new member and its row in
`FACTS`; the workspace resolver (components/cvm/workspaces/resolve.py) reads nothing else about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Runtime(StrEnum):
    # the config's order: a refused value is told "'envbox' or 'sysbox-runc'"
    ENVBOX = "envbox"
    SYSBOX_RUNC = "sysbox-runc"


@dataclass(frozen=True, kw_only=True)
class RuntimeFacts:
    """`namespace_suffix`: its workspaces live in `<supervisor.namespace><suffix>` ("": the configured one, which
    every stack makes). `pod_security`: the least Pod Security level that admits its pods. `node_sysbox`: its pods
    run under the node's Sysbox (the `sysbox-runc` RuntimeClass), so they need `sysbox.enabled` and wait for the
    RuntimeClass. `summary`: what the Coder template's runtime parameter says of it."""

    namespace_suffix: str
    pod_security: str
    node_sysbox: bool
    summary: str


FACTS: dict[Runtime, RuntimeFacts] = {
    # envbox's outer container is privileged and mounts host paths, which only `privileged` admits; so its
    # workspaces get a namespace of their own, and never lower the guard of the others (docs/security.md)
    Runtime.ENVBOX: RuntimeFacts(
        namespace_suffix="-envbox",
        pod_security="privileged",
        node_sysbox=False,
        summary="a privileged outer container runs the image under Sysbox (no Sysbox on the node needed)",
    ),
    # root in their own user namespace, which `restricted` refuses and `baseline` admits
    Runtime.SYSBOX_RUNC: RuntimeFacts(
        namespace_suffix="",
        pod_security="baseline",
        node_sysbox=True,
        summary="the pod itself runs under the node's Sysbox, unprivileged, systemd as PID 1",
    ),
}
