"""The open-data tests run on a fixed day, with the edge-case venues in the database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from passnum.core.clock import frozen
from passnum.venues.models import Venue
from tests.factories import make_departement
from tests.opendata.helpers import NOW, make_edge_cases


@pytest.fixture
def fixed_day() -> Iterator[None]:
    """The clock frozen at ``NOW``."""
    with frozen(NOW):
        yield


@pytest.fixture
def venues(app: Flask, fixed_day: None) -> dict[str, Venue]:
    """Every edge case of ``make_edge_cases``, in the test's database."""
    return make_edge_cases(make_departement("78"), make_departement("92"))
