"""A commune reference of the tests' choosing, in place of the shipped one."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from passnum.communes import reference
from passnum.communes.reference import Commune

# centroids of the tests' choosing (the shipped file's come from GeoNames)
VERSAILLES = Commune("78646", "Versailles", "78", ("78000",), 48.8039, 2.1191, 84095)
RAMBOUILLET = Commune("78517", "Rambouillet", "78", ("78120",), 48.6437, 1.8292, 27724)
SONCHAMP = Commune("78601", "Sonchamp", "78", ("78120",), None, None, 1678)
NANTERRE = Commune("92050", "Nanterre", "92", ("92000",), 48.8960, 2.2071, 96807)


def use_communes(monkeypatch: pytest.MonkeyPatch,
                 communes: Iterable[Commune] = (VERSAILLES, RAMBOUILLET, SONCHAMP,
                                                NANTERRE)) -> None:
    """Make the look-ups answer from ``communes`` for the rest of the test."""
    monkeypatch.setattr(reference, "_loaded", reference._index(communes))
