"""The cvm policy pack: `pulumi preview --policy-pack policy`. The rules are in rules.py."""

import sys
from pathlib import Path

from pulumi_policy import PolicyPack

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the program's own `components`

from policy.rules import POLICIES

PolicyPack("cvm", policies=POLICIES)
