"""Sending a person back to an expired form, to find what they typed there.

Nothing typed is kept on the server or in the (signed, not encrypted) session cookie: the
page keeps its form's values in the browser tab (``static/js/keep-form.js``, in
``sessionStorage``) when it is sent, and puts them back when the form's page is opened
with ``?reprise=1``. The server only chooses where to send the person.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import request

RESUME_ARG = "reprise"


def resume_url() -> str:
    """The local URL of the page the failed POST came from (its same-site referrer, else
    the posted path), marked so that the page refills its form."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        path, query = referrer.path, referrer.query
    else:
        path, query = request.path, request.query_string.decode("latin-1")
    args = [(k, v) for k, v in parse_qsl(query) if k != RESUME_ARG]
    return f"{path}?{urlencode([*args, (RESUME_ARG, '1')])}"
