"""The venue's phone pages over HTTP: ``/v/<token>`` for everyone, ``/scan`` for agents."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from passnum import ROOT
from passnum.audit.models import AuditEvent
from passnum.booklets.models import Booklet, BookletStatus
from passnum.booklets.services import revoke_booklet
from passnum.core import clock
from passnum.core.clock import PARIS
from passnum.core.db import unit_of_work
from passnum.core.signing import sign_serial, voucher_url
from passnum.extensions import db
from passnum.redemptions.models import Redemption, RedemptionLine
from passnum.redemptions.services import redeem
from passnum.venues.models import LabelStatus
from tests.conftest import IsolatedClient, make_app
from tests.factories import World, issue, make_beneficiary, make_workshop
from tests.web.test_issuing_pages import login

FIRST_NAME, LAST_NAME = "Clotilde", "Zoubiri"
FORM_KEY = re.compile(r'name="key" type="hidden" value="([0-9a-f]{32})"')


@pytest.fixture(autouse=True)
def midday() -> Iterator[None]:
    """Today at noon in Paris: workshops starting "in a few minutes" are today's."""
    with clock.frozen(datetime.combine(clock.today(), time(12), PARIS)):
        yield


@pytest.fixture
def world(app) -> World:
    return World()


@pytest.fixture
def booklet(world) -> Booklet:
    person = make_beneficiary(world.issuer78, first_name=FIRST_NAME, last_name=LAST_NAME)
    return issue(world.issuer78, person)


def page_of(voucher) -> str:
    """The path printed in the voucher's QR code."""
    return voucher_url(sign_serial(voucher.serial)).removeprefix("http://passnum.test")


def take(world, voucher, workshop=None) -> Redemption:
    with unit_of_work():
        return redeem([voucher.manual_code], venue=world.venue78, workshop=workshop,
                      actor=world.agent78, channel="test")


def live_lines(voucher) -> list[RedemptionLine]:
    db.session.expire_all()
    return list(db.session.scalars(select(RedemptionLine).where(
        RedemptionLine.voucher_id == voucher.id, RedemptionLine.undone_at.is_(None))))


def text_of(response) -> str:
    """The page's HTML with entities decoded (Jinja escapes apostrophes)."""
    return unescape(response.get_data(as_text=True))


def assert_no_personal_data(text: str) -> None:
    assert FIRST_NAME not in text and LAST_NAME not in text.upper() and LAST_NAME not in text


# --- /v/<token> for anyone ---------------------------------------------------------------


def test_public_status_of_valid_used_revoked_and_other_vouchers(client, world, booklet):
    valid, used, *_ = booklet.vouchers
    take(world, used)
    expires = booklet.expires_on.strftime("%d/%m/%Y")

    response = client.get(page_of(valid))
    assert response.status_code == 200
    assert "Chèque valable" in text_of(response) and "10,00\u00a0€" in text_of(response)
    assert f"Ce chèque est valable jusqu'au {expires}." in text_of(response)
    assert 'href="/lieux"' in text_of(response)
    assert "Comment utiliser un Pass numérique" in text_of(response)
    assert "<form" not in text_of(response).split('id="contenu"')[1]

    response = client.get(page_of(used))
    assert response.status_code == 200 and "Chèque déjà utilisé" in text_of(response)
    assert f"déjà été utilisé le {clock.today().strftime('%d/%m/%Y')}" in text_of(response)
    assert world.venue78.name not in text_of(response)  # where it was used is nobody's business

    with unit_of_work():
        revoke_booklet(world.issuer78, booklet, reason="stolen")
    response = client.get(page_of(booklet.vouchers[2]))
    assert response.status_code == 200 and "Chèque annulé" in text_of(response)
    for text in (text_of(client.get(page_of(v))) for v in booklet.vouchers):
        assert_no_personal_data(text)


def test_public_status_of_expired_and_not_handed_out_vouchers(client, world, booklet):
    other = issue(world.issuer78, make_beneficiary(world.issuer78))
    booklet.valid_from = clock.today() - timedelta(days=400)
    booklet.expires_on = clock.today() - timedelta(days=1)
    other.status, other.beneficiary_id = BookletStatus.IN_STOCK, None
    db.session.commit()
    response = client.get(page_of(booklet.vouchers[0]))
    assert "Chèque expiré" in text_of(response) and "il était valable jusqu'au" in text_of(response)
    response = client.get(page_of(other.vouchers[0]))
    assert "Chèque pas encore remis" in text_of(response)
    assert "pas encore été remis à son bénéficiaire" in text_of(response)


def test_forged_token_is_a_french_400_page_and_is_audited(client, world, booklet):
    token = sign_serial(booklet.vouchers[0].serial)
    forged = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    response = client.get(f"/v/{forged}")
    assert response.status_code == 400
    assert "Chèque non reconnu" in text_of(response) and 'href="/lieux"' in text_of(response)
    assert booklet.vouchers[0].serial not in text_of(response)
    details = db.session.scalars(select(AuditEvent.details)
                                 .where(AuditEvent.action == "voucher.check_refused")).all()
    assert [json.loads(d)["reason"] for d in details] == ["invalid_code"]
    # a well-signed serial that names no voucher
    response = client.get(f"/v/{sign_serial('78-AAAA-AAAA-01')}")
    assert response.status_code == 404 and "Chèque non reconnu" in text_of(response)


def test_issuers_see_the_public_page_only(client, world, booklet):
    login(client, world.issuer78)
    response = client.get(page_of(booklet.vouchers[0]))
    assert response.status_code == 200 and "Chèque valable" in text_of(response)
    assert "Encaisser ce chèque" not in text_of(response)
    assert_no_personal_data(text_of(response))
    response = client.post(page_of(booklet.vouchers[0]), data={"workshop": "none"})
    assert response.status_code == 403
    assert live_lines(booklet.vouchers[0]) == []


# --- /v/<token> for a venue agent --------------------------------------------------------


def test_agent_redeems_from_the_voucher_page_for_a_workshop(client, world, booklet):
    one = make_workshop(world.venue78, price=1)
    two = make_workshop(world.venue78, price=2)
    later = make_workshop(world.venue78, days=3)
    voucher = booklet.vouchers[0]
    login(client, world.agent78)

    response = client.get(page_of(voucher))
    assert response.status_code == 200 and "Chèque valable" in text_of(response)
    assert voucher.serial in text_of(response) and "Encaisser ce chèque" in text_of(response)
    assert f'id="workshop-{one.id}" value="{one.id}" checked' in text_of(response)
    assert 'value="none"' in text_of(response) and "Sans atelier" in text_of(response)
    assert f'value="{two.id}"' not in text_of(response)
    assert "Ateliers à plusieurs chèques" in text_of(response)
    assert f'value="{later.id}"' not in text_of(response)
    assert_no_personal_data(text_of(response))
    key = FORM_KEY.search(response.text).group(1)

    response = client.post(page_of(voucher), data={"workshop": str(one.id), "key": key})
    assert response.status_code == 200, response.text
    assert "Chèque encaissé" in text_of(response)
    assert f'Encaissé : <span class="serial">{voucher.serial}</span>, 10,00' in text_of(response)
    [line] = live_lines(voucher)
    assert line.redemption.workshop_id == one.id and line.redemption.idempotency_key == key

    # the same form sent twice (a double tap, a reload) is the same redemption
    again = client.post(page_of(voucher), data={"workshop": str(one.id), "key": key})
    assert again.status_code == 200 and "Chèque encaissé" in text_of(again)
    assert len(live_lines(voucher)) == 1
    assert db.session.scalar(select(func.count()).select_from(Redemption)) == 1

    response = client.get(page_of(voucher))
    assert "Chèque refusé" in text_of(response) and "Encaisser ce chèque" not in text_of(response)
    assert "déjà encaissé le" in text_of(response) and world.venue78.name in text_of(response)


def test_agent_without_workshop_and_refusals_on_the_page(client, world, booklet):
    full = make_workshop(world.venue78, capacity=1)
    take(world, booklet.vouchers[1], workshop=full)
    login(client, world.agent78)
    voucher = booklet.vouchers[0]
    key = FORM_KEY.search(client.get(page_of(voucher)).text).group(1)

    response = client.post(page_of(voucher), data={"workshop": str(full.id), "key": key})
    assert response.status_code == 422
    assert 'data-code="workshop_full"' in text_of(response) and "complet" in text_of(response)
    assert "Encaisser ce chèque" in text_of(response)  # another choice is still possible
    assert live_lines(voucher) == []

    tomorrow = make_workshop(world.venue78, days=1)
    response = client.post(page_of(voucher), data={"workshop": str(tomorrow.id), "key": key})
    assert response.status_code == 422 and "n'est plus proposé aujourd'hui" in text_of(response)
    response = client.post(page_of(voucher), data={"workshop": "none", "key": "x"})
    assert response.status_code == 422 and "Formulaire périmé" in text_of(response)
    assert live_lines(voucher) == []

    response = client.post(page_of(voucher), data={"workshop": "none", "key": key})
    assert response.status_code == 200 and "Chèque encaissé" in text_of(response)
    [line] = live_lines(voucher)
    assert line.redemption.workshop_id is None


def test_agent_of_a_suspended_venue_cannot_redeem(client, world, booklet):
    world.venue78.label_status = LabelStatus.SUSPENDED
    db.session.commit()
    login(client, world.agent78)
    response = client.get(page_of(booklet.vouchers[0]))
    assert response.status_code == 200 and "Encaisser ce chèque" not in text_of(response)
    assert "Le label de votre lieu n'est pas actif" in text_of(response)
    response = client.post(page_of(booklet.vouchers[0]), data={"workshop": "none"})
    assert response.status_code == 403
    assert client.get("/scan").status_code == 403


def test_voucher_page_is_rate_limited(tmp_path, request):
    app = make_app("sqlite", tmp_path, request, RATELIMIT_ENABLED=True,
                   RATELIMIT_VOUCHER_LINKS="3 per minute")
    app.test_client_class = IsolatedClient
    client = app.test_client()
    statuses = [client.get("/v/not.a-token").status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]


# --- /scan -------------------------------------------------------------------------------


def test_scan_page_needs_a_venue_agent(client, world):
    response = client.get("/scan")
    assert response.status_code == 302 and "/connexion" in response.location
    login(client, world.issuer78)
    assert client.get("/scan").status_code == 403


def test_scan_page_for_a_venue_agent(client, world):
    today = make_workshop(world.venue78, price=2)
    cancelled = make_workshop(world.venue78, cancelled=True)
    later = make_workshop(world.venue78, days=2)
    response = login(client, world.agent78)
    assert response.location == "/"
    assert client.get("/").location == "/scan"

    response = client.get("/scan")
    assert response.status_code == 200
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', response.text)
    assert token and len(token.group(1)) > 20
    assert '<option value="" data-price="1">Sans atelier</option>' in text_of(response)
    assert f'<option value="{today.id}" data-price="2" selected>' in text_of(response)
    assert "2 chèques, 10 places restantes" in text_of(response)
    assert f'value="{cancelled.id}"' not in text_of(response)
    assert f'value="{later.id}"' not in text_of(response)
    assert 'src="/static/js/scan.js"' in text_of(response) and "<script>" not in text_of(response)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_service_worker_is_served_for_the_scan_scope(sqlite_app):
    response = sqlite_app.test_client().get("/scan/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/scan"
    assert response.headers["Cache-Control"] == "no-cache"
    assert 'const PAGE = "/scan";' in text_of(response)
    assets = json.loads(re.search(r"const ASSETS = (\[.*\]);", response.text).group(1))
    assert "/static/js/scan.js" in assets and "/static/vendor/jsQR.js" in assets
    assert re.search(r'const VERSION = "[0-9a-f]{16}";', response.text)
    assert "__" not in text_of(response)


def test_service_worker_caches_every_module_of_the_scanner(sqlite_app):
    """Each ES module the page imports is in the offline list, and is served."""
    client = sqlite_app.test_client()
    source = (ROOT / "static" / "js" / "scan.js").read_text(encoding="utf-8")
    imported = {f"/static/js/{path}" for path in re.findall(r'from "\./([\w/.-]+\.js)"', source)}
    assets = json.loads(re.search(r"const ASSETS = (\[.*\]);",
                                  client.get("/scan/sw.js").text).group(1))
    assert imported and imported <= set(assets)
    for url in assets:
        if "/vendor/" in url:  # built by npm, absent from a bare checkout
            continue
        with client.get(url) as response:
            assert response.status_code == 200, url
