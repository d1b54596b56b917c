"""The booklet PDF as a download, shared by the web page and the API."""

from __future__ import annotations

import io

from flask import Response, send_file

from passnum.booklets.models import Booklet
from passnum.booklets.pdf import render_booklets
from passnum.venues.queries import venues_for_cover


def booklet_download(booklet: Booklet) -> Response:
    """Render ``booklet`` with the venues of its beneficiary's commune then of its
    département, as a PDF attachment."""
    out = io.BytesIO()
    postal_code = booklet.beneficiary.postal_code if booklet.beneficiary else None
    render_booklets([booklet], out, commune_first=postal_code is not None,
                    nearby_venues=venues_for_cover(booklet.departement_id,
                                                   postal_code=postal_code))
    out.seek(0)
    return send_file(out, mimetype="application/pdf", as_attachment=True,
                     download_name=f"chequier-{booklet.number}.pdf")
