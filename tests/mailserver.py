"""A real SMTP server for tests (aiosmtpd, on a free local port, in its own thread).

It keeps every message it accepts; some recipients are refused on purpose
(``REFUSED``: 550, final; ``BUSY``: 451, try later). It can require an account
(``accounts``) and STARTTLS (``tls``: a certificate made for 127.0.0.1 by
``self_signed``), and can be stopped and started again on the same port.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

REFUSED = "refused@example.org"
BUSY = "busy@example.org"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    """One accepted message: envelope and parsed e-mail."""

    mail_from: str
    rcpt_tos: list[str]
    email: EmailMessage
    tls: bool
    authenticated: bool


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802 (aiosmtpd hook)
                          rcpt_options: list[str]) -> str:
        if address == REFUSED:
            return "550 5.1.1 <refused@example.org>: Recipient address rejected"
        if address == BUSY:
            return "451 4.3.0 Mailbox temporarily unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        email = message_from_bytes(envelope.original_content or envelope.content,
                                   policy=policy.default)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          email, session.ssl is not None,
                                          bool(session.authenticated)))
        return "250 Message accepted for delivery"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1 and localhost, written in ``folder``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class MailServer:
    """An aiosmtpd server on 127.0.0.1; ``url`` is its ``PASSNUM_SMTP_URL``."""

    def __init__(self, *, accounts: dict[str, str] | None = None,
                 tls: tuple[Path, Path] | None = None, implicit_tls: bool = False) -> None:
        """Listen on a free port (``start``), with the given accounts and certificate:
        offered by STARTTLS, or from the first byte with ``implicit_tls``."""
        self.port = free_port()
        self.accounts = accounts or {}
        self.tls = tls
        self.implicit_tls = implicit_tls
        self.handler = _Handler()
        self.controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        """Every message accepted so far."""
        with self.handler.lock:
            return list(self.handler.received)

    @property
    def url(self) -> str:
        """The SMTP URL of this server (with the first account, if any)."""
        login = next(iter(self.accounts.items()), None)
        auth = f"{login[0]}:{login[1]}@" if login else ""
        return f"smtp://{auth}127.0.0.1:{self.port}"

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword)
              and self.accounts.get(auth_data.login.decode()) == auth_data.password.decode())
        return AuthResult(success=ok, handled=False)

    def start(self) -> MailServer:
        """Start listening (again)."""
        kwargs: dict[str, Any] = {}
        if self.accounts:
            # AUTH is offered; required only after STARTTLS (aiosmtpd warns otherwise, and
            # does not count implicit TLS as TLS): the ``authenticated`` flag of each
            # message tells whether the client logged in
            starttls = self.tls is not None and not self.implicit_tls
            kwargs.update(authenticator=self._authenticate, auth_required=starttls,
                          auth_require_tls=starttls)
        if self.tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*self.tls)
            if self.implicit_tls:
                kwargs.update(ssl_context=context)
            else:
                kwargs.update(tls_context=context, require_starttls=True)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     ready_timeout=10, **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until ``start``."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
