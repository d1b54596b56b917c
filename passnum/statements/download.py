"""The statement PDF as a download, shared by the web page and the API."""

from __future__ import annotations

import io

from flask import Response, current_app, send_file

from passnum.statements import queries
from passnum.statements.models import Statement
from passnum.statements.pdf import Issuer, render_statement


def configured_issuer() -> Issuer:
    """The issuer of the configuration (``ISSUER_NAME``, ``ISSUER_ADDRESS``)."""
    return Issuer(current_app.config["ISSUER_NAME"], current_app.config["ISSUER_ADDRESS"])


def statement_pdf(statement: Statement) -> Response:
    """Render ``statement`` (every line, streamed from the database) as a PDF attachment."""
    out = io.BytesIO()
    render_statement(statement, queries.statement_lines(statement.id),
                     queries.adjustments_of(statement.id), out, issuer=configured_issuer())
    out.seek(0)
    return send_file(out, mimetype="application/pdf", as_attachment=True,
                     download_name=f"{queries.reference(statement)}.pdf")
