"""``/journal`` reads as French sentences with names, details as a labelled list; every
action the code records has its sentence."""

from __future__ import annotations

import ast
import html
import re
from datetime import date
from pathlib import Path

from passnum.audit.display import SENTENCES
from passnum.audit.services import record
from passnum.core.db import unit_of_work
from passnum.statements import queries
from tests.factories import login
from tests.statements.helpers import at, build, generate, paris

PACKAGE = Path(__file__).resolve().parents[2] / "passnum"
# calls whose first argument is an action code: record() itself, the note a refused
# operation carries, the statements' own wrapper and a person's recorded exceptions
RECORDING = {"record", "AuditNote", "_audit", "_record_exception"}
# functions allowed to pass an action they were given rather than a literal
FORWARDERS = {("audit/services.py", "record_note"), ("statements/services.py", "_audit"),
              ("beneficiaries/services.py", "_record_exception")}


def recorded_actions() -> set[str]:
    """Every action code written literally as the first argument of a recording call."""
    actions: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            for call in [n for n in ast.walk(function) if isinstance(n, ast.Call)]:
                name = getattr(call.func, "id", getattr(call.func, "attr", None))
                if name not in RECORDING or not call.args:
                    continue
                literals = [n.value for n in ast.walk(call.args[0])
                            if isinstance(n, ast.Constant) and isinstance(n.value, str)]
                where = (str(path.relative_to(PACKAGE)), function.name)
                assert literals or where in FORWARDERS, f"action not literal in {where}"
                actions.update(literals)
    return actions


def test_every_recorded_action_has_a_french_sentence():
    actions = recorded_actions()
    assert {"statement.generated", "voucher.redeem_refused", "venue.agent_deactivated",
            "statement.paid", "auth.login_failed"} <= actions  # the scan sees them all
    missing = sorted(actions - set(SENTENCES))
    assert missing == [], f"actions without a sentence: {missing}"


def shown(page: str) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    text = re.sub(r"<[^>]+>", " ", page.split("<tbody>", 1)[1].split("</tbody>", 1)[0])
    return " ".join(html.unescape(text).split())


def test_the_journal_names_things_in_french_and_never_a_beneficiary(client, app):
    sw = build()
    world = sw.world
    sw.take("a", paris(2024, 3, 12, 9), "78")
    venue = sw.places["a"].venue
    statement = generate(world.manager78, venue, world.d78, date(2024, 3, 1))
    booklet = sw.pools["78"][0].booklet
    person = booklet.beneficiary
    with at(paris(2024, 4, 6, 10)), unit_of_work():
        record("something.new", actor_id=None, object_type="thing", object_id=3,
               details={"weird_key": [1, 2]})
        record("programme.saved", actor_id=world.admin.id, object_type="programme",
               object_id=world.programme.id,
               details={"before": {"budget_cents": "100000", "ends_on": "2024-12-31"},
                        "after": {"budget_cents": "250000", "ends_on": "2025-06-30"}})
    with at(paris(2024, 4, 6, 10)):
        login(client, world.admin)
        page = client.get("/journal/").text
    text = shown(page)

    assert f"Relevé {queries.reference(statement)} généré pour {venue.name}" in text
    assert f"Chèques encaissés par {venue.name}" in text
    assert f"Chéquier n° {booklet.number} émis par {world.s78.name}" in text
    assert "Département Yvelines (78)" in text and "Montant 10,00 €" in text
    assert "Action non décrite (something.new)" in text and "weird_key 1, 2" in text
    assert f"Programme {world.programme.name} enregistré" in text
    assert "Avant Budget : 1 000,00 € ; Fin : 31/12/2024" in text
    for raw in ("statement.generated", "voucher.redeemed", '"venue_id"', "{", "}"):
        assert raw not in text, raw
    assert person.last_name not in page and person.first_name not in page
    assert f"Bénéficiaire n° {person.id} enregistré par {world.s78.name}" in text
