"""Kubeconfigs: built by one function, parsed by one, and the ambient one found and merged as client-go does.

Pure: `clusters/baremetal.py` `resolve_kubeconfig` reads the ambient files and hands their text to `merge`.
"""

from __future__ import annotations

import copy
import functools
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


# Far deeper than any kubeconfig (an exec plugin's env list is 6 levels), far shallower than PyYAML's composer
# can recurse: it builds nested nodes recursively and would raise RecursionError thousands of levels down.
MAX_DEPTH = 32


def _too_deep(text: str) -> bool:
    """Whether the YAML text nests deeper than MAX_DEPTH, read from the parser's events (which PyYAML produces
    without recursing) and stopped at the first level too deep: its scanner slows per open level, so reading a
    document 5,000 levels deep to its end took 12 s."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
    return False


# The settings' rules and the bare-metal cluster read the same kubeconfig: parsed once (PyYAML's pure-Python
# parser takes milliseconds per kilobyte, twice, with the depth check), handed out as copies.
@functools.lru_cache(maxsize=4)
def _load(text: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        if _too_deep(text):
            return None, f"nests deeper than {MAX_DEPTH} levels"
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        return None, "is not valid YAML" + (f" (line {mark.line + 1}, column {mark.column + 1})" if mark else "")
    return (document, None) if isinstance(document, dict) else (None, "is not a YAML mapping")


def problem(text: str) -> str | None:
    """What keeps `text` from being a kubeconfig, said without quoting it (it holds credentials); None if none."""
    return _load(text)[1]


def parse(text: str) -> dict[str, Any] | None:
    """The kubeconfig as a mapping; None when the text is not YAML, not a mapping, or nested too deeply."""
    return copy.deepcopy(_load(text)[0])


def read(path: Path) -> tuple[str, str | None]:
    """A kubeconfig file's text and what keeps it from being one (I/O): a file that is not UTF-8 (client-go
    reads YAML, which is Unicode) is named with the offending byte's offset, never quoted."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return "", f"is not UTF-8 text (byte {error.start})"
    return text, problem(text)


def incomplete(document: Mapping[str, Any], context: str) -> str | None:
    """What a context lacks to reach a cluster, said without quoting credentials; None when it names a cluster
    and a user that the kubeconfig defines (client-go refuses a context without them: 'context was not found
    for specified context', 'no server found for cluster')."""
    chosen = next((c for c in _entries(document, "contexts") if c.get("name") == context), None)
    spec = chosen.get("context") if chosen is not None else None
    if not isinstance(spec, dict):
        return f"context {_quoted(context)} names no cluster and no user"
    missing = []
    for section, field in (("clusters", "cluster"), ("users", "user")):
        name = spec.get(field)
        if not isinstance(name, str) or not name:
            missing.append(f"names no {field}")
        elif not any(e.get("name") == name for e in _entries(document, section)):
            missing.append(f"names {field} {_quoted(name)}, which the kubeconfig does not define")
    cluster = next((e for e in _entries(document, "clusters") if e.get("name") == spec.get("cluster")), None)
    body = cluster.get("cluster") if cluster is not None else None
    if cluster is not None and not (isinstance(body, dict) and isinstance(body.get("server"), str) and body["server"]):
        missing.append(f"names cluster {_quoted(str(spec.get('cluster')))}, which has no server")
    return f"context {_quoted(context)} {' and '.join(missing)}" if missing else None


def _quoted(name: str) -> str:
    return f"'{name}'" if len(name) <= 63 else f"'{name[:62]}…'"


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
