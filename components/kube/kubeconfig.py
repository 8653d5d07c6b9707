"""Kubeconfigs: built by one function, parsed by one, and the ambient one found and merged as client-go does.

Pure: `clusters/baremetal.py` `resolve_kubeconfig` reads the ambient files and hands their text to `merge`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml


def build(name: str, cluster: Mapping[str, Any], user: Mapping[str, Any]) -> str:
    """A kubeconfig with one cluster, one user and one context, all called `name`, made current."""
    return dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": dict(cluster)}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "users": [{"name": name, "user": dict(user)}],
            "current-context": name,
        }
    )


def dump(document: Mapping[str, Any]) -> str:
    return str(yaml.safe_dump(dict(document), sort_keys=False))


def problem(text: str) -> str | None:
    """What keeps `text` from being a kubeconfig, said without quoting it (it holds credentials); None if none."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        return "is not valid YAML" + (f" (line {mark.line + 1}, column {mark.column + 1})" if mark else "")
    return None if isinstance(document, dict) else "is not a YAML mapping"


def parse(text: str) -> dict[str, Any] | None:
    """The kubeconfig as a mapping; None when the text is not YAML or not a mapping."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return document if isinstance(document, dict) else None


def _entries(document: Mapping[str, Any], section: str) -> list[dict[str, Any]]:
    entries = document.get(section)
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def contexts(text: str) -> set[str]:
    """The context names of a kubeconfig; empty when the text is not one."""
    document = parse(text)
    if document is None or not isinstance(document.get("contexts"), list):
        return set()
    return {c["name"] for c in _entries(document, "contexts") if isinstance(c.get("name"), str)}


def ambient_paths(environ: Mapping[str, str], home: Path) -> list[Path]:
    """Where kubectl and the Kubernetes provider look: $KUBECONFIG's entries, else ~/.kube/config."""
    if environ.get("KUBECONFIG"):
        return [Path(p) for p in environ["KUBECONFIG"].split(os.pathsep) if p]
    return [home / ".kube" / "config"]


# Fields that name files, which client-go reads relative to the kubeconfig that holds them.
_FILE_FIELDS = {
    "clusters": ("cluster", ("certificate-authority",)),
    "users": ("user", ("client-certificate", "client-key", "tokenFile")),
}


def _absolute(entry: dict[str, Any], section: str, base: Path) -> dict[str, Any]:
    key, fields = _FILE_FIELDS.get(section, ("", ()))
    body = entry.get(key)
    if not isinstance(body, dict):
        return entry
    fixed = {f: str(base / body[f]) for f in fields if isinstance(body.get(f), str) and not Path(body[f]).is_absolute()}
    return {**entry, key: {**body, **fixed}} if fixed else entry


def merge(files: Sequence[tuple[str, Path]]) -> dict[str, Any]:
    """Merge kubeconfig files as client-go does: the first file to name an entry or a current-context wins.

    `files` holds each file's text and folder; relative file references become absolute, so that the merged
    kubeconfig works from anywhere.
    """
    merged: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "clusters": [], "contexts": [], "users": []}
    for text, base in files:
        document = parse(text) or {}
        for section in ("clusters", "contexts", "users"):
            names = {entry["name"] for entry in merged[section]}
            merged[section] += [
                _absolute(e, section, base) for e in _entries(document, section) if e.get("name") not in names
            ]
        if document.get("current-context") and "current-context" not in merged:
            merged["current-context"] = document["current-context"]
    return merged


def for_context(document: Mapping[str, Any], context: str | None) -> str | None:
    """The kubeconfig reduced to one context (the given one, else the current one), made current; None when
    it has no such context. This is what a bare-metal stack exports: exactly the cluster it deploys to."""
    wanted = context or document.get("current-context")
    chosen = next((c for c in _entries(document, "contexts") if c.get("name") == wanted), None)
    if chosen is None:
        return None
    spec = chosen["context"] if isinstance(chosen.get("context"), dict) else {}
    return dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [c for c in _entries(document, "clusters") if c.get("name") == spec.get("cluster")],
            "contexts": [chosen],
            "users": [u for u in _entries(document, "users") if u.get("name") == spec.get("user")],
            "current-context": wanted,
        }
    )


def context_names(document: Mapping[str, Any]) -> list[str]:
    return sorted(str(c.get("name")) for c in _entries(document, "contexts"))
