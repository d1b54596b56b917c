"""Stored text is printed as text in every PDF: markup typed into a name (``&``, a link,
an image of a server file, a font, an unclosed tag) neither breaks the document nor turns
into a link, an embedded file or a style."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from passnum.beneficiaries.pdf import render_export
from passnum.beneficiaries.services import export_beneficiary
from passnum.booklets.pdf import render_booklets
from passnum.core import clock
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.programmes.models import Programme
from passnum.redemptions.services import redeem
from passnum.statements import queries as statement_queries
from passnum.statements.pdf import Issuer, render_statement
from passnum.statements.services import generate
from passnum.venues.models import Workshop
from tests.factories import World, issue, login, make_beneficiary, make_workshop

MARKUP = ('A&B <a href="http://x.t">l</a><img src="/etc/passwd"/>'
          '<font size="30">F</font><b>g')


def _flat(text: str) -> str:
    """Text without white space (PDF text extraction places spaces as it likes)."""
    return re.sub(r"\s+", "", text)


def _marked(tag: str) -> str:
    """The markup, made distinct per stored field (some names are unique)."""
    return f"{tag}{MARKUP}"[:80]


def _xobjects(resources: object) -> list[object]:
    """Every XObject of ``resources``, forms searched recursively."""
    found = []
    for ref in ((resources or {}).get("/XObject") or {}).values():
        obj = ref.get_object()
        found.append(obj)
        if obj.get("/Subtype") == "/Form":
            found += _xobjects(obj.get("/Resources"))
    return found


def assert_plain_pdf(pdf_bytes: bytes, *texts: str, prefix: int | None = None) -> None:
    """The PDF parses, shows each of ``texts`` literally (its first ``prefix`` characters
    where the layout shortens it), holds no link annotation and embeds no image."""
    reader = PdfReader(io.BytesIO(pdf_bytes))
    shown = _flat("".join(page.extract_text() or "" for page in reader.pages)).casefold()
    for text in texts:
        assert _flat(text[:prefix]).casefold() in shown, text
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            assert annot.get_object().get("/Subtype") != "/Link"
        for xobject in _xobjects(page.get("/Resources")):
            assert xobject.get("/Subtype") != "/Image"


def _mark_everything(world: World) -> Workshop:
    """Markup in every stored text that a PDF draws."""
    programme = db.session.get(Programme, world.programme.id)
    programme.name = _marked("P")
    world.d78.name = _marked("D")
    world.s78.name = _marked("S")
    world.venue78.name, world.venue78.address = _marked("V"), _marked("Adr")
    workshop = make_workshop(world.venue78)
    workshop.title = _marked("T")
    workshop.theme.name = _marked("Th")
    db.session.commit()
    return workshop


def _booklet_and_statement(world: World, workshop: Workshop):
    beneficiary = make_beneficiary(world.issuer78)
    beneficiary.first_name, beneficiary.last_name = _marked("F"), _marked("L")
    db.session.commit()
    booklet = issue(world.issuer78, beneficiary)
    with unit_of_work():
        redeem([booklet.vouchers[0].manual_code], venue=world.venue78, workshop=workshop,
               actor=world.agent78, channel="test")
    with unit_of_work():
        statement = generate(world.admin, world.venue78, world.d78,
                             clock.today().replace(day=1)).statement
    return booklet, statement


def test_funder_report_prints_markup_as_text(client, app):
    world = World()
    workshop = _mark_everything(world)
    _booklet_and_statement(world, workshop)
    login(client, world.admin)
    response = client.get("/tableau-de-bord/rapport.pdf?departement=78")
    assert response.status_code == 200, response.status_code
    assert_plain_pdf(response.data, _marked("P"), _marked("D"), _marked("S"), _marked("V"),
                     _marked("Th"))


def test_booklet_statement_and_export_pdfs_print_markup_as_text(app):
    world = World()
    workshop = _mark_everything(world)
    booklet, statement = _booklet_and_statement(world, workshop)

    out = io.BytesIO()
    render_booklets([booklet], out, nearby_venues=[world.venue78])
    # the booklet's layout shortens long values to their box
    assert_plain_pdf(out.getvalue(), _marked("P"), _marked("S"), _marked("V"),
                     _marked("Adr"), _marked("L"), prefix=12)

    out = io.BytesIO()
    render_statement(statement, statement_queries.statement_lines(statement.id),
                     statement_queries.adjustments_of(statement.id), out,
                     issuer=Issuer("Syndicat", "78000 Versailles"))
    assert_plain_pdf(out.getvalue(), _marked("V"), _marked("T"), prefix=20)

    out = io.BytesIO()
    with unit_of_work():
        data = export_beneficiary(world.admin, booklet.beneficiary_id, fmt="pdf")
    render_export(data, out)
    assert_plain_pdf(out.getvalue(), _marked("F"), _marked("L"), _marked("P"), _marked("S"))
