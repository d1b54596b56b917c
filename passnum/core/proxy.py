"""The client's address behind trusted reverse proxies (``PASSNUM_TRUSTED_PROXIES``).

Rate limits and audit records read ``request.remote_addr``. Behind the reverse proxy
the socket's peer is the proxy, so every client would share one address. This WSGI
middleware puts the client's address in ``REMOTE_ADDR``: the right-most
``X-Forwarded-For`` entry that is not itself a trusted proxy, and only when the socket's
peer is a trusted proxy. A direct client's ``X-Forwarded-For`` is ignored, and entries
to the left of the first untrusted one (which the client wrote itself) are never read.
``X-Forwarded-Proto`` (``http`` or ``https``) from a trusted proxy sets the scheme.

Werkzeug's ``ProxyFix`` trusts a fixed number of hops from any peer; it cannot tell the
proxy from a client that talks to the app server directly, hence this check first.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ProxyConfigError(ValueError):
    """A trusted-proxy entry that is neither an address nor a network."""


def parse_networks(raw: str | Iterable[str]) -> tuple[Network, ...]:
    """``"127.0.0.1, 10.0.0.0/8, ::1"`` as networks; raises ``ProxyConfigError``."""
    parts = raw.split(",") if isinstance(raw, str) else list(raw)
    networks = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError as err:
            raise ProxyConfigError(part) from err
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address from a header entry or a peer (``[::1]``, ``::ffff:1.2.3.4``), or None."""
    text = text.strip().strip("[]")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(peer: str, forwarded_for: str | None,
                   trusted: tuple[Network, ...]) -> str:
    """The client's address: ``peer`` unless it is a trusted proxy that forwarded one."""
    def is_trusted(text: str) -> bool:
        address = _address(text)
        return address is not None and any(address in net for net in trusted)

    if not forwarded_for or not is_trusted(peer):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop):
            address = _address(hop)
            # a malformed entry stops the walk: nothing left of it can be believed
            return str(address) if address is not None else peer
    return hops[0] if hops else peer  # every hop a proxy: the first one is the client


class TrustedProxies:
    """WSGI middleware: the client's address and scheme as forwarded by trusted proxies."""

    def __init__(self, app: Any, trusted: tuple[Network, ...]) -> None:
        self.app = app
        self.trusted = trusted

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """Rewrite ``REMOTE_ADDR`` (and the scheme) when the peer is a trusted proxy."""
        peer = environ.get("REMOTE_ADDR") or ""
        address = _address(peer) if self.trusted else None
        if address is not None and any(address in net for net in self.trusted):
            environ["REMOTE_ADDR"] = client_address(
                peer, environ.get("HTTP_X_FORWARDED_FOR"), self.trusted)
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        return self.app(environ, start_response)
