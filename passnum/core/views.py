"""The edge of an HTML form: run one service call in a unit of work and show its refusal.

A view calls ``attempt(lambda: service(...), form, ...)``: the call runs in
``unit_of_work()`` (commit on success; on a ``DomainError`` roll back, keep its audit
note); a refusal goes to the form field it names (``error.field``), else to the view's
fallback field, else above the form or into a flashed message. Refusals whose status the
view cannot show on its page (404 by default: the object is out of scope or gone) are
raised again, for the error handler to answer.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Generic, Literal, TypeVar

from flask import flash
from flask_wtf import FlaskForm
from wtforms import Field

from passnum.core.db import unit_of_work
from passnum.core.forms import FrenchForm
from passnum.errors import DomainError

R = TypeVar("R")
Unplaced = Literal["flash", "form", "none"]


class Outcome(Generic[R]):
    """What ``attempt`` gives back: the service's result, or its refusal."""

    def __init__(self, result: R | None = None, error: DomainError | None = None) -> None:
        self._result = result
        self.error = error

    @property
    def ok(self) -> bool:
        """True when the service call succeeded (and was committed)."""
        return self.error is None

    @property
    def value(self) -> R:
        """The service's result; raises the refusal when there was one."""
        if self.error is not None:
            raise self.error
        return self._result  # type: ignore[return-value]

    @property
    def status(self) -> int:
        """The HTTP status the page answers with: 200, or the refusal's."""
        return self.error.http_status if self.error is not None else 200


def field_named(form: FlaskForm | None, name: str | None) -> Field | None:
    """The field of ``form`` that shows an error about ``name``, if any (a form may map
    a service's name to its own field: ``FrenchForm.field_for``)."""
    if form is None or not name:
        return None
    if isinstance(form, FrenchForm):
        return form.field_for(name)
    return next((field for field in form if field.name == name), None)


def show_refusal(error: DomainError, form: FlaskForm | None = None, *,
                 field: str | None = None, unplaced: Unplaced = "flash") -> None:
    """Show ``error`` on the field it names, else on ``field``, else as ``unplaced``
    says: a flashed message, an error above the form, or nothing (the view shows it)."""
    target = field_named(form, error.field) or field_named(form, field)
    if target is not None:
        target.errors = [*target.errors, error.message]
    elif unplaced == "form" and form is not None:
        form.form_errors.append(error.message)
    elif unplaced == "flash":
        flash(error.message, "error")


def attempt(action: Callable[[], R], form: FlaskForm | None = None, *,
            field: str | None = None, unplaced: Unplaced = "flash",
            reraise: Collection[int] = (404,)) -> Outcome[R]:
    """Run ``action`` in one unit of work; map a ``DomainError`` onto the page.

    A refusal whose ``http_status`` is in ``reraise`` is raised again (after the
    rollback); any other is shown by ``show_refusal`` and returned in the outcome,
    whose ``status`` the page answers with.
    """
    try:
        with unit_of_work():
            result = action()
    except DomainError as err:
        if err.http_status in reraise:
            raise
        show_refusal(err, form, field=field, unplaced=unplaced)
        return Outcome(error=err)
    return Outcome(result)
