"""The stack's config: Pulumi config in, one validated `Settings` object out, every problem reported at once.

checks.py    the pieces every rule is made of (a refusal, several at once)
values.py    value types: names, images, quantities, versions
urls.py      supervisor.coderUrl: what the Coder URL may name, which the egress policy opens a way to
sections.py  one model per config object (gke, baremetal, supervisor, ...), with its own rules
settings.py  the whole config and the rules across sections
loading.py   stored config -> Settings, and pydantic's errors -> messages naming config keys
"""

from components.config.loading import NAMESPACE, Problem, SettingsError, key_of, load_settings, stored_config
from components.config.sections import Aks, Baremetal, Eks, Gke, Gpu, Supervisor, Sysbox, Workspace
from components.config.settings import Settings

__all__ = [
    "NAMESPACE",
    "Aks",
    "Baremetal",
    "Eks",
    "Gke",
    "Gpu",
    "Problem",
    "Settings",
    "SettingsError",
    "Supervisor",
    "Sysbox",
    "Workspace",
    "key_of",
    "load_settings",
    "stored_config",
]
