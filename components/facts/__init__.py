"""The facts the program is built on, each defined once with the upstream source it was read from.

minors.py         Kubernetes minors: a range of them, and how a range prints
platforms.py      the platform list, what cvm sets on each cloud's cluster, and the one-minor-at-a-time rule
pins.py           pinned releases: Sysbox (and the minors its installer accepts), envbox, NVIDIA, template providers
issues.py         the known Sysbox issues: what breaks, on which nodes and releases
compatibility.py  each cloud's node images per minor and their issues; each platform's window and default minor
node_sizes.py     the vCPUs a cloud machine type has, read from its name
eks_ami.py        which Ubuntu EKS AMI a node group runs (Canonical's SSM parameters)
namespaces.py     the namespaces of Kubernetes, the clouds and common add-ons, which workspaces must not use
runtimes.py       the runtimes a workspace may run under, and what each needs (namespace, Pod Security, Sysbox)

These modules import nothing of ours outside this package: config, clusters and the components import them.
"""
