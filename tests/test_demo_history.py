"""The demo with a history: every state of the product present, through the services,
consistent (tallies and audit chain), and every role's main pages filled."""

import re

from flask import url_for
from sqlalchemy import func, select

from passnum.audit.models import AuditEvent
from passnum.audit.services import verify
from passnum.auth.models import User
from passnum.booklets.models import Booklet, BookletStatus, Voucher, VoucherStatus
from passnum.core.clock import now, today
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.redemptions import tallies
from passnum.redemptions.models import Redemption
from passnum.sample.demo import DEMO_DOMAIN, DEMO_PASSWORD, demo_accounts
from passnum.sample.history import load_demo_with_history
from passnum.statements.models import Statement, StatementStatus
from passnum.venues.models import LabelStatus, Venue, Workshop
from tests.factories import login

# a table's data row, or an item of a page's list
ROW = re.compile(r"<tr[^>]*>\s*(<th scope=\"row\"|<td(?! colspan))|<ul class=\"plain\">\s*<li")

# each role's main pages (the navigation), all of which must list something; the
# beneficiaries' page is a search form (names are posted, never listed unasked)
PAGES = {
    "admin": ["dashboard.index", "programmes.index", "venues.labels.manage",
              "statements.index", "programme_admin.index", "audit.index"],
    "manager78": ["dashboard.index", "programmes.index", "venues.labels.manage",
                  "statements.index"],
    "issuer78": ["booklets.stock", "expiry.expiring"],
    "venue78": ["history.index", "venues.workshops", "statements.index"],
}


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _state_counts() -> dict[str, int]:
    expired = (Booklet.expires_on < today()) & (Booklet.status == BookletStatus.HANDED_OUT)
    partly = (Booklet.vouchers_redeemed > 0) & (Booklet.vouchers_redeemed < Booklet.vouchers_total)
    return {
        "handed out": _count(Booklet, Booklet.status == BookletStatus.HANDED_OUT),
        "handed out from stock": _count(AuditEvent, AuditEvent.action == "booklet.handed_out"),
        "in stock": _count(Booklet, Booklet.status == BookletStatus.IN_STOCK),
        "revoked": _count(Booklet, Booklet.status == BookletStatus.REVOKED),
        "replacement": _count(Booklet, Booklet.replaces_booklet_id.is_not(None)),
        "expired": _count(Booklet, expired),
        "partly used": _count(Booklet, partly),
        "fully used": _count(Booklet, Booklet.vouchers_redeemed == Booklet.vouchers_total),
        "vouchers redeemed": _count(Voucher, Voucher.status == VoucherStatus.REDEEMED),
        "vouchers revoked": _count(Voucher, Voucher.status == VoucherStatus.REVOKED),
        "refused scans": _count(AuditEvent, AuditEvent.action == "voucher.redeem_refused"),
        "redemptions at workshops": _count(Redemption, Redemption.workshop_id.is_not(None)),
        "past workshops": _count(Workshop, Workshop.starts_at < now()),
        "upcoming workshops": _count(Workshop, Workshop.starts_at > now()),
        "statements paid": _count(Statement, Statement.status == StatementStatus.PAID),
        "statements draft": _count(Statement, Statement.status == StatementStatus.DRAFT),
        "venue pending": _count(Venue, Venue.label_status == LabelStatus.PENDING),
        "venue suspended": _count(Venue, Venue.label_status == LabelStatus.SUSPENDED),
    }


def test_demo_history_shows_every_state_and_fills_every_role_page(app, client):
    with unit_of_work():
        assert load_demo_with_history() is True
    counts = _state_counts()
    assert all(counts.values()), counts
    assert 200 <= _count(Booklet, Booklet.beneficiary_id.is_not(None)) <= 400
    this_month = today().replace(day=1)
    assert _count(Statement, Statement.period_start < this_month,
                  Statement.status == StatementStatus.DRAFT) <= 9  # last month's at most
    # the replacement carries exactly the vouchers its revocation revoked
    replacement = db.session.scalar(select(Booklet).where(
        Booklet.replaces_booklet_id.is_not(None)))
    revoked = db.session.get(Booklet, replacement.replaces_booklet_id)
    assert replacement.vouchers_total == sum(
        v.status == VoucherStatus.REVOKED for v in revoked.vouchers)
    assert tallies.differences() == []
    assert verify(use_anchor=False).ok
    db.session.commit()
    for command in (["stats", "verify"], ["audit", "verify"]):
        result = app.test_cli_runner().invoke(args=command)
        assert result.exit_code == 0, (command, result.output)
    # idempotent, the logins unchanged
    result = app.test_cli_runner().invoke(args=["demo", "--quiet-if-loaded"])
    assert result.exit_code == 0 and "chargées" not in result.output, result.output
    emails = set(db.session.scalars(select(User.email)))
    logins = {email for email, _ in demo_accounts()}
    assert logins <= emails
    # and one agent for each venue the demo gives none: only a venue's own agents take
    # vouchers there
    front_desks = [db.session.scalar(select(User).where(User.email == email))
                   for email in emails - logins]
    demo_venues = {u.venue_id for u in db.session.scalars(
        select(User).where(User.email.in_(logins), User.venue_id.is_not(None)))}
    assert front_desks
    for agent in front_desks:
        assert agent.role == "venue_agent" and agent.venue_id not in demo_venues
        assert agent.email == f"accueil-{agent.venue.slug}@{DEMO_DOMAIN}"
    assert len({agent.venue_id for agent in front_desks}) == len(front_desks)
    for who, endpoints in PAGES.items():
        client = app.test_client()  # the fixture's class: one fresh session per role
        response = login(client, f"{who}@{DEMO_DOMAIN}", DEMO_PASSWORD)
        assert response.status_code == 302, (who, response.text)
        for endpoint in endpoints:
            with app.test_request_context():
                path = url_for(endpoint)
            page = client.get(path)
            assert page.status_code == 200, (who, path)
            assert ROW.search(page.text), (who, path, "no table row")
            if endpoint == "dashboard.index":  # the monthly charts span the history
                assert page.text.count("data-month=") >= 2 * 12, who
