"""How messages leave: SMTP, ``.eml`` files when no server is configured, Brevo's SMS API.

Each transport sends one message or raises ``Transient`` (try again later: the server is
down, busy, or refuses the account) or ``Permanent`` (this message will never go: the
recipient is refused). Errors never quote the recipient (``mask``): they are shown to
administrators and written to the log.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from passnum.core.files import PRIVATE_FILE, private_dir

log = logging.getLogger(__name__)

ERROR_MAX = 500
LOOPBACK_NAMES = ("localhost",)


class Transient(Exception):
    """The message could not go now; it may later."""


class Permanent(Exception):
    """The message will never go (the recipient is refused)."""


@dataclass(frozen=True)
class Outgoing:
    """A claimed message, as the transports need it (plain values, no database object)."""

    id: int
    channel: str
    recipient: str
    subject: str
    body: str
    kind: str


def mask(recipient: str) -> str:
    """``jeanne.lenoir@example.org`` as ``j…@example.org``, ``+33612345678`` as
    ``+336…78``: enough for an administrator to tell messages apart, not to read them."""
    if "@" in recipient:
        local, _, domain = recipient.partition("@")
        return f"{local[:1]}…@{domain}"
    return f"{recipient[:4]}…{recipient[-2:]}" if len(recipient) > 6 else "…"


def _short(error: object, recipient: str) -> str:
    """An error's text without the recipient, on one line, at most ``ERROR_MAX`` long."""
    text = " ".join(str(error).split()).replace(recipient, mask(recipient))
    return text[:ERROR_MAX]


def build_email(message: Outgoing, *, sender: str, at: datetime) -> EmailMessage:
    """The e-mail of ``message``: UTF-8, with Date, Message-ID and From; ``Permanent``
    when it cannot be written (an address or subject holding a line break)."""
    try:
        return _email(message, sender=sender, at=at)
    except (ValueError, TypeError) as err:
        raise Permanent(f"message impossible à écrire : {_short(err, message.recipient)}") from err


def _email(message: Outgoing, *, sender: str, at: datetime) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(at)
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    email["Message-ID"] = make_msgid(idstring=f"passnum.{message.id}", domain=domain)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body, charset="utf-8")
    return email


# --- SMTP ------------------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SmtpTransport:
    """One SMTP connection, opened on the first message and reused for the batch.

    ``smtps://`` speaks TLS from the start; ``smtp://`` upgrades with STARTTLS, required
    unless the server is on this machine (a local relay may offer none). Once the server
    cannot be reached, the batch's other messages are not tried (each would wait for the
    same timeout): they are retried later.
    """

    def __init__(self, url: str, *, sender: str, timeout: float) -> None:
        """Read the server, port and account from ``url`` (checked by ``config``)."""
        parts = urlsplit(url)
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or ""
        self.port = parts.port or (465 if self.implicit_tls else 587)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password or "")
        self.sender, self.timeout = sender, timeout
        self.connection: smtplib.SMTP | None = None
        self.down: str | None = None

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        if self.implicit_tls:
            connection = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                          context=context)
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if not self.implicit_tls:
                connection.ehlo()
                if connection.has_extn("starttls"):
                    connection.starttls(context=context)
                    connection.ehlo()
                elif not _is_loopback(self.host):
                    raise Transient("le serveur SMTP ne propose pas STARTTLS")
            if self.username:
                connection.login(self.username, self.password)
        except BaseException:
            connection.close()
            raise
        return connection

    def send(self, message: Outgoing, at: datetime) -> None:
        """Send one e-mail; ``Transient`` or ``Permanent`` when it does not go."""
        if self.down is not None:
            raise Transient(self.down)
        try:
            if self.connection is None:
                self.connection = self._connect()
            self.connection.send_message(build_email(message, sender=self.sender, at=at))
        except smtplib.SMTPRecipientsRefused as err:
            code, reply = next(iter(err.recipients.values()))
            self._refused(code, reply, message.recipient)
        except smtplib.SMTPDataError as err:
            self._refused(err.smtp_code, err.smtp_error, message.recipient)
        except smtplib.SMTPAuthenticationError as err:
            self._lost(f"authentification SMTP refusée ({err.smtp_code})")
        except smtplib.SMTPResponseException as err:  # sender refused, server busy…
            said = _short(_text(err.smtp_error), message.recipient)
            self._lost(f"SMTP {err.smtp_code} {said}")
        except (OSError, smtplib.SMTPException) as err:  # refused, timeout, TLS, cut
            reason = _short(err, message.recipient) or type(err).__name__
            self._lost(f"serveur SMTP injoignable : {reason}")

    def _refused(self, code: int, reply: bytes | str, recipient: str) -> None:
        """A refusal of this message: final for a 5xx, transient otherwise."""
        error = f"SMTP {code} {_short(_text(reply), recipient)}"
        if 500 <= code < 600:
            raise Permanent(error)
        raise Transient(error)

    def _lost(self, error: str) -> None:
        """The connection cannot serve the batch any more."""
        self.close()
        self.down = error
        raise Transient(error)

    def close(self) -> None:
        """End the session politely (QUIT), or drop it if the server is gone."""
        connection, self.connection = self.connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


class FileTransport:
    """Without an SMTP server (development, ``make run``): each e-mail becomes a ``.eml``
    file in ``folder``, which any mail client opens."""

    def __init__(self, folder: str, *, sender: str) -> None:
        """Write into ``folder`` (created owner-only: the files hold personal data)."""
        self.folder, self.sender, self.written = Path(folder), sender, 0

    def send(self, message: Outgoing, at: datetime) -> None:
        """Write the e-mail's file (named by time and message id, never by recipient)."""
        folder = private_dir(self.folder)
        path = folder / f"{at:%Y%m%d-%H%M%S}-{message.id}.eml"
        try:
            data = build_email(message, sender=self.sender, at=at).as_bytes()
            path.write_bytes(data)
            path.chmod(PRIVATE_FILE)
        except OSError as err:
            raise Transient(f"écriture impossible dans {folder} : {err.strerror}") from err
        self.written += 1

    def close(self) -> None:
        """Say where the files went (the folder, never a recipient): a warning, as the
        e-mails did not leave the machine."""
        if self.written:
            log.warning("%s e-mail(s) written as .eml files in %s (PASSNUM_SMTP_URL unset)",
                     self.written, self.folder)


# --- SMS (Brevo) ------------------------------------------------------------------------


class BrevoSmsTransport:
    """Brevo's transactional SMS API: ``POST {api}/transactionalSMS/send`` with the
    ``api-key`` header and a JSON body (sender, recipient in international digits,
    content, type "transactional"); 201 with ``{"messageId": …}`` when accepted, a JSON
    ``{"code", "message"}`` otherwise. A 400 (a number or text refused) is final; an
    account or credit problem (401, 402, 403), a rate limit or a server error is
    retried."""

    def __init__(self, api_url: str, *, api_key: str, sender: str, timeout: float) -> None:
        """Talk to ``api_url`` (Brevo's, or a stand-in's in tests)."""
        self.endpoint = f"{api_url}/transactionalSMS/send"
        self.api_key, self.sender, self.timeout = api_key, sender, timeout

    def send(self, message: Outgoing, at: datetime) -> None:
        """Send one SMS; ``Transient`` or ``Permanent`` when it does not go."""
        payload = {"sender": self.sender, "recipient": message.recipient.lstrip("+"),
                   "content": message.body.strip(), "type": "transactional",
                   "tag": message.kind, "unicodeEnabled": not message.body.isascii()}
        request = urllib.request.Request(  # noqa: S310 (the URL is checked by config: http(s))
            self.endpoint, data=json.dumps(payload).encode("utf-8"), method="POST",
            headers={"api-key": self.api_key, "accept": "application/json",
                     "content-type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                answer.read()
        except urllib.error.HTTPError as err:
            error = f"Brevo {err.code} {_short(_brevo_error(err), message.recipient)}"
            if err.code == 400:
                raise Permanent(error) from err
            raise Transient(error) from err
        except OSError as err:  # refused, timeout (TimeoutError), TLS
            raise Transient(f"API SMS injoignable : {_short(err, message.recipient)}") from err

    def close(self) -> None:
        """Nothing held between messages."""


def _brevo_error(err: urllib.error.HTTPError) -> str:
    """The ``code: message`` of a Brevo error answer (its body is JSON)."""
    try:
        body: Any = json.loads(err.read() or b"{}")
    except (ValueError, OSError):
        return err.reason if isinstance(err.reason, str) else ""
    if not isinstance(body, Mapping):
        return ""
    return f"{body.get('code', '')}: {body.get('message', '')}".strip(": ")
