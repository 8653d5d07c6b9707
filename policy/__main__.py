"""The cvm policy pack: `pulumi preview --policy-pack policy`. The rules are in rules.py.

Pulumi runs this folder with the folder itself first on sys.path (`python -m pulumi.policy <engine> .` runs it
as a path), and a published pack is unpacked under a folder named after its version: the rules are imported
by their module's name, `rules`, never through a package name that is ours to choose.
"""

import importlib

from pulumi_policy import PolicyPack

rules = importlib.import_module("rules")

PolicyPack("cvm", policies=rules.POLICIES)
