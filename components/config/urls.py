"""`supervisor.coderUrl`: the Coder that workspaces' agents talk to, which the egress policy opens a way to
(components/cvm/workspaces/objects.py), so that no URL opens the way to the node, the cloud or the cluster's
own services, and none carries a credential into the pods' plain environment.

The raw text is checked first (credentials, query, fragment, port, scheme), so that a refusal never shows a
password and says what is accepted; the host is checked after pydantic's parse, on its normal form
(`http://2130706433` is `http://127.0.0.1/` by then)."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from pydantic import AfterValidator, AnyHttpUrl, BeforeValidator

from components.config.checks import SECRET, report
from components.facts import namespaces, network

ACCEPTED = (
    "accepted: an http:// or https:// URL of the Coder deployment, such as 'https://coder.example.com' or "
    "'http://coder.coder.svc.cluster.local', with no user or password, query or fragment"
)
_SHOWN = 120  # characters of a refused URL a message shows
# scheme://[userinfo@]host[:port] up to the path, as RFC 3986 splits it (the userinfo ends at the last '@')
_AUTHORITY = re.compile(
    r"(?P<scheme>[^:/?#]*)://(?:(?P<userinfo>[^/?#]*)@)?(?P<host>\[[^\]]*\]|[^:/?#]*)(?::(?P<port>[^/?#]*))?"
)


def shown(text: str) -> str:
    """The URL as a message may show it: its user and password replaced, and shortened."""
    found = _AUTHORITY.match(text)
    if found and found["userinfo"] is not None:
        text = text[: found.start("userinfo")] + SECRET + text[found.end("userinfo") :]
    elif found is None and "@" in text:  # not a URL: an '@' we cannot place may end a password
        text = SECRET
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _refuse(text: str, reasons: list[str]) -> None:
    if reasons:
        report([((), shown(text), f"{'; '.join(reasons)}; {ACCEPTED}")])


def _text(value: Any) -> Any:
    """Refuse, from the text as given, what pydantic's parse would keep quietly or echo whole."""
    if not isinstance(value, str):
        return value
    found = _AUTHORITY.match(value)
    if found is None:
        _refuse(value, ["is not a URL"])
        return value
    reasons = []
    if found["scheme"].lower() not in ("http", "https"):
        reasons.append("has a scheme other than http or https")
    if found["userinfo"] is not None:
        reasons.append("carries a user or password, which would land in plain text in every workspace's environment")
    if "?" in value or "#" in value:
        reasons.append("has a query or fragment, which would end up in the agent's download URL")
    port = found["port"]
    if port and not (port.isdigit() and 1 <= int(port) <= 65535):
        reasons.append("has a port outside 1-65535")
    _refuse(value, reasons)
    return value


def _target(url: AnyHttpUrl) -> AnyHttpUrl:
    """Refuse a host the egress policy must never open: the node, the clouds' servers, the cluster's own."""
    host = (url.host or "").strip("[]").rstrip(".")
    port = url.port or 0
    reasons = []
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        why = network.forbidden(address)
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            reasons.append(f"is an IPv4 address written as IPv6; write it as {address.ipv4_mapped}")
        elif why:
            reasons.append(f"{why}, never a Coder")
        elif network.private(address) and port in network.KUBELET_PORTS:
            reasons.append(f"is a node's kubelet port ({port}), never a Coder")
    elif host == "localhost" or host.endswith(".localhost"):
        reasons.append("is the pod itself (localhost), never a Coder")
    elif host in network.METADATA_NAMES:
        reasons.append("names a cloud metadata server, never a Coder")
    else:
        labels = host.split(".")
        namespace = network.service_namespace(host) or (labels[1] if len(labels) == 2 else None)
        if namespace is not None and namespaces.reserved(namespace):
            reasons.append(
                f"is a Service in '{namespace}', a namespace Kubernetes keeps for itself; put Coder in its own"
            )
    _refuse(str(url), reasons)
    return url


CoderUrl = Annotated[AnyHttpUrl, BeforeValidator(_text), AfterValidator(_target)]
