"""The aws provider's credentials come from the stack's aws: config when the cvm:eks keys are not set."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import load_settings, stored_config

ROLE = "arn:aws:iam::123456789012:role/deployer"


def eks(config: dict[str, Any]) -> Any:
    return load_settings(stored_config({"platform": "eks", **config}), "dev").eks


@pytest.mark.parametrize(
    "aws",
    [
        {"aws:assumeRoles": [{"roleArn": ROLE, "sessionName": "ci"}, {"roleArn": "arn:aws:iam::1:role/next"}]},
        {"aws:assumeRole": {"roleArn": ROLE}},
    ],
)
def test_the_first_assumed_role_and_the_profile(aws: dict[str, Any]) -> None:
    section = eks({**aws, "aws:profile": "platform", "aws:region": "eu-west-1"})
    assert (section.assume_role_arn, section.profile, section.region) == (ROLE, "platform", "eu-west-1")


def test_cvm_keys_win_and_nothing_is_made_up() -> None:
    section = eks({"aws:profile": "platform", "eks": {"profile": "mine"}})
    assert section.profile == "mine" and section.assume_role_arn is None
    assert eks({"aws:assumeRoles": "not json"}).assume_role_arn is None
