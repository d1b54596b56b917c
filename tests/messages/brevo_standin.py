"""A local stand-in of Brevo's transactional SMS API (the contract passnum uses).

``POST /v3/transactionalSMS/send`` with an ``api-key`` header and a JSON body
(``sender``, ``recipient`` in international digits, ``content``, optional ``type``,
``tag``, ``unicodeEnabled``): 201 ``{"messageId": n}``; 401 for an unknown key, 400
``{"code": "invalid_parameter", …}`` for a malformed body or a number the operator
refuses (``REFUSED_NUMBER``), 402 ``not_enough_credits`` once ``credits`` run out.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "xkeysib-test-key"
REFUSED_NUMBER = "33698765432"
PATH = "/v3/transactionalSMS/send"


class BrevoStandIn:
    """The stand-in server in a thread; ``url`` is its ``PASSNUM_SMS_API_URL``."""

    def __init__(self, credits: int = 100) -> None:
        """Listen on a free local port."""
        self.sent: list[dict[str, Any]] = []
        self.credits = credits
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

            def do_POST(self) -> None:
                status, answer = owner.answer(self)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The API's base URL (``…/v3``)."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/v3"

    def answer(self, request: BaseHTTPRequestHandler) -> tuple[int, dict[str, Any]]:
        """Brevo's answer to one request."""
        if request.path != PATH:
            return 404, {"code": "not_found", "message": "Invalid path"}
        if request.headers.get("api-key") != API_KEY:
            return 401, {"code": "unauthorized", "message": "Key not found"}
        length = int(request.headers.get("Content-Length", 0))
        try:
            body = json.loads(request.rfile.read(length))
        except ValueError:
            return 400, {"code": "bad_request", "message": "Malformed JSON"}
        missing = [k for k in ("sender", "recipient", "content") if not body.get(k)]
        if missing:
            return 400, {"code": "missing_parameter", "message": f"{missing[0]} is missing"}
        recipient = str(body["recipient"])
        if not recipient.isdigit() or recipient == REFUSED_NUMBER:
            return 400, {"code": "invalid_parameter", "message": "Invalid mobile number"}
        if self.credits <= 0:
            return 402, {"code": "not_enough_credits", "message": "Not enough credits"}
        self.credits -= 1
        self.sent.append(body)
        return 201, {"messageId": 1511882900176220 + len(self.sent)}

    def start(self) -> BrevoStandIn:
        """Serve in the background."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
