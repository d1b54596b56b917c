"""Booklet PDF (placeholder until the renderer lands)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

from passnum.booklets.models import Booklet


def render_booklets(booklets: Iterable[Booklet], out: BinaryIO, *, nearby_venues=()) -> None:
    """Render booklets into ``out``."""
    raise NotImplementedError
