"""The app starts and the issuing service works end to end on both databases."""

from passnum.booklets.queries import get_booklet
from tests.factories import World, issue, make_beneficiary


def test_issue_booklet_end_to_end(app):
    world = World()
    person = make_beneficiary(world.issuer78)
    booklet = issue(world.issuer78, person)
    loaded = get_booklet(world.issuer78, booklet.id)
    assert len(loaded.vouchers) == 10
    assert loaded.number.startswith("78-")
