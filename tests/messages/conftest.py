"""A real SMTP server for the messages' tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.mailserver import MailServer


@pytest.fixture
def mail(app: Flask) -> Iterator[MailServer]:
    """An SMTP server (no account, no TLS: a local relay) that ``app`` sends through."""
    server = MailServer().start()
    app.config["SMTP_URL"] = server.url
    yield server
    server.stop()
