"""The program's facts the policy pack checks against, written as the pack's data file `policy/facts.json`.

The pack is published on its own (`pulumi policy publish` uploads its folder, and Pulumi installs only its
requirements), so it cannot import `components`. Each fact stays defined once, in the module that owns it
here; this module only gathers them, and the file is its output, rewritten after a change with

    python -m components.policy_facts

tests/unit/files/test_policy_pack.py fails while the file differs from what this writes. Rules (the image and
NFS rules, the minor's grammar) travel as the regular expressions that define them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from components.config import values
from components.facts import compatibility, eks_ami, pins, platforms
from components.facts.minors import span
from components.kube import names, units

PATH = Path(__file__).resolve().parent.parent / "policy" / "facts.json"


def facts() -> dict[str, Any]:
    return {
        "about": "written by `python -m components.policy_facts` from the program's own modules; do not edit",
        "names": {
            "systemNamespace": names.SYSTEM_NAMESPACE,
            "sysboxDaemonSet": names.SYSBOX_DAEMON_SET,
            "nvidiaDaemonSet": names.NVIDIA_DAEMON_SET,
            "componentLabel": names.COMPONENT_LABEL,
            "workspaceComponent": names.WORKSPACE_COMPONENT,
            "installLabel": names.INSTALL_LABEL,
        },
        "sysboxReleases": {
            tag: {"kubernetes": [str(m) for m in release.kubernetes], "window": span(release.kubernetes)}
            for tag, release in pins.SYSBOX_RELEASES.items()
        },
        "gke": {"imageType": compatibility.GKE_IMAGE_TYPE, "channel": platforms.GKE_CHANNEL},
        "aks": {"nodeOsSchedule": platforms.AKS_NODE_OS_SCHEDULE},
        "eks": {
            "supportType": platforms.EKS_SUPPORT_TYPE,
            "amiParameterTag": eks_ami.AMI_PARAMETER_TAG,
            "canonicalParameters": eks_ami.CANONICAL_PARAMETERS,
        },
        "patterns": {
            "pinnedImage": values.PINNED_IMAGE.pattern,  # fullmatch
            "nfsStorageClass": values.NFS_CLASS.pattern,  # search
            "majorMinor": units.MAJOR_MINOR.pattern,  # match, groups (major, minor)
        },
    }


def text() -> str:
    return json.dumps(facts(), indent=2) + "\n"


if __name__ == "__main__":
    PATH.write_text(text())
    print(f"wrote {PATH}")
