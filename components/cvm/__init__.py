"""The CVM layer, the same on every platform: the Sysbox runtime, the NVIDIA device plugin (bare metal), and
the workspaces."""
