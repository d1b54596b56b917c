"""Hostile or mistyped URLs answer 404, never 500."""

import pytest

from tests.factories import World
from tests.web.test_issuing_pages import login


@pytest.mark.parametrize("path", [
    "/beneficiaires/99999999999999999999999",
    "/beneficiaires/0",
    "/beneficiaires/-1",
    "/chequiers/2147483648",
    "/chequiers/12abc",
    "/api/v1/booklets/99999999999999999999",
])
def test_out_of_range_ids_are_404(sqlite_app, path):
    client = sqlite_app.test_client()
    world = World()
    login(client, world.issuer78)
    assert client.get(path).status_code == 404
