"""A real HTTP server for tests: the app served by Werkzeug's threaded server on loopback."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from passnum.extensions import db


class QuietHandler(WSGIRequestHandler):
    """Request handler that does not log every request (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip the access log line."""


@contextmanager
def serve(build: Callable[[str], Flask]) -> Iterator[tuple[str, Flask]]:
    """Bind a free loopback port, build the app for that URL, serve it; yield (url, app).

    The socket is bound before the app is built, so a ``BASE_URL`` made from the URL
    names the real port.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        app = build(url)
        # the server works on a duplicate of the bound socket's descriptor
        server: BaseWSGIServer = make_server(
            "127.0.0.1", sock.getsockname()[1], app, threaded=True,
            request_handler=QuietHandler, fd=sock.fileno(),
        )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="live-server", daemon=True)
    thread.start()
    try:
        yield url, app
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()
