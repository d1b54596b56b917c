"""The booklet PDF as a download, shared by the web page and the API."""

from __future__ import annotations

import io

from flask import Response, send_file

from passnum.booklets.models import Booklet
from passnum.booklets.pdf import render_booklets
from passnum.venues.queries import venues_for_cover


def booklet_download(booklet: Booklet) -> Response:
    """Render ``booklet`` with the venues near it, as a PDF attachment."""
    out = io.BytesIO()
    render_booklets([booklet], out, nearby_venues=venues_for_cover(booklet.departement_id))
    out.seek(0)
    return send_file(out, mimetype="application/pdf", as_attachment=True,
                     download_name=f"chequier-{booklet.number}.pdf")
