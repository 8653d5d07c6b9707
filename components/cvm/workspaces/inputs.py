"""What the workspace resolver (resolve.py) reads of a workspace and of the supervisor.

Two callers resolve, then render, the same objects: the program, from the validated config (`Workspace`,
`Supervisor`), and the Coder template (components/coder_template), from stand-ins whose values are Terraform
expressions that Coder fills in per workspace (its CPUs are a `${...}` string, not an int). Read-only
properties, so that the frozen config models satisfy them as they are; the resolver imports these, never the
config models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from pydantic import SecretStr

from components.facts.runtimes import Runtime


class WorkspaceFields(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def image(self) -> str: ...
    @property
    def username(self) -> str: ...
    @property
    def runtime(self) -> Runtime: ...
    @property
    def cpus(self) -> int | str: ...
    @property
    def memory(self) -> str: ...
    @property
    def disk(self) -> str: ...
    @property
    def gpus(self) -> int: ...
    @property
    def agent_token(self) -> SecretStr | None: ...
    @property
    def fuse(self) -> bool: ...
    @property
    def tun(self) -> bool: ...
    @property
    def inner_env(self) -> Mapping[str, str]: ...
    @property
    def secret_env(self) -> Mapping[str, SecretStr]: ...


class SupervisorFields(Protocol):
    """What a workspace's own objects read of the supervisor."""

    @property
    def namespace(self) -> str: ...
    @property
    def storage_class(self) -> str | None: ...
    @property
    def envbox_image(self) -> str: ...
    @property
    def coder_url_text(self) -> str | None: ...
    @property
    def image_pull_secret(self) -> str | None: ...
    @property
    def ca_certificates(self) -> str | None: ...
    @property
    def docker_bridge_cidr(self) -> str | None: ...


class SupervisorSection(SupervisorFields, Protocol):
    """The supervisor section whole: also which workspaces the stack deploys, and whether the canary."""

    @property
    def canary(self) -> bool: ...
    @property
    def workspaces(self) -> Sequence[WorkspaceFields]: ...
