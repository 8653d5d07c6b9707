"""Fixtures for the tests of pure functions."""

from __future__ import annotations

import pytest

FIRST = """
apiVersion: v1
kind: Config
clusters:
- {name: lab, cluster: {server: "https://10.0.0.1:6443", certificate-authority: pki/ca.crt}}
contexts:
- {name: lab, context: {cluster: lab, user: admin}}
users:
- {name: admin, user: {client-certificate: pki/admin.crt, client-key: /abs/admin.key}}
current-context: lab
"""
SECOND = """
clusters:
- {name: lab, cluster: {server: "https://shadowed:6443"}}
- {name: edge, cluster: {server: "https://10.0.0.2:6443"}}
contexts:
- {name: edge, context: {cluster: edge, user: ops}}
users:
- {name: ops, user: {token: t}}
current-context: edge
"""


@pytest.fixture
def two_kubeconfigs() -> tuple[str, str]:
    """Two kubeconfig files as $KUBECONFIG would list them: the second names a cluster the first has too."""
    return FIRST, SECOND
