"""The EKS image facts, without the AWS SDK."""

from __future__ import annotations

import pytest

from components.facts import eks_ami


@pytest.mark.parametrize(
    ("instance_type", "arch"),
    [
        ("m6i.xlarge", "amd64"),
        ("m7g.large", "arm64"),
        ("c6gn.2xlarge", "arm64"),
        ("r8gd.4xlarge", "arm64"),
        ("g5.xlarge", "amd64"),
        ("g5g.xlarge", "arm64"),
        ("inf2.xlarge", "amd64"),
    ],
)
def test_ec2_architecture(instance_type: str, arch: str) -> None:
    assert eks_ami.architecture(instance_type) == arch
