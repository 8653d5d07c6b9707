"""The workspaces: the namespace they live in, and one workload per workspace.

A workspace runs one of two ways:
- `envbox`: a privileged outer container (coder/envbox) runs its own dockerd and Sysbox, and launches the
  user's image as the inner container `workspace_cvm` under sysbox-runc. The user only ever reaches the inner
  container. Volumes and environment follow Coder's kubernetes-envbox template (coder/coder
  examples/templates/kubernetes-envbox/main.tf).
- `sysbox-runc`: the workspace pod itself runs under the `sysbox-runc` RuntimeClass with its own user
  namespace (`hostUsers: false`), not privileged, systemd as PID 1.

    inputs.py      what the resolver reads of a workspace and the supervisor (protocols the config satisfies)
    resolve.py     each workspace of a stack, the canary, or a Coder template's workspace, decided once (pure)
    resolved.py    what it decides: frozen values, which the renderers below read and nothing else
    agent.py       how a workspace starts Coder's agent (pure)
    pods.py        the pod of each runtime (pure renderer)
    objects.py     the namespace, its guard rails, and each workspace's Secrets, volume and Deployment (renderers)
    homes.py       where each home lives, and the refusal of a move (pure)
    plan.py        the rendered objects of the resolved stack, by role, and how they wait (pure)
    supervisor.py  `WorkspaceSupervisor`, which registers the plan
"""
