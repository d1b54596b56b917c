"""CSV exports: one statement's lines, and the finance list of validated statements.

Semicolon-separated, UTF-8 with BOM, decimal comma, formula-safe text cells: what
French spreadsheets open without a wizard.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from passnum.core.formatting import date_fr, datetime_fr, euros_plain, spreadsheet_text
from passnum.statements import queries
from passnum.statements.models import Statement, StatementAdjustment, StatementStatus

LINES_HEADER = ["releve", "type", "date", "atelier", "numero_de_serie", "motif",
                "montant_euros"]
FINANCE_HEADER = ["reference", "lieu", "siret", "iban", "departement_payeur", "periode",
                  "debut", "fin", "nombre_de_cheques", "montant_cheques_euros",
                  "regularisations_euros", "montant_du_euros", "statut", "valide_le",
                  "paye_le", "reference_paiement"]


def _text(value: str | None) -> str:
    return spreadsheet_text(value or "")


def _rows_as_csv(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    """Yield the CSV chunk by chunk (BOM first), so long exports stream."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    out.write("\ufeff")
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % 500 == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def statement_csv(statement: Statement, adjustments: list[StatementAdjustment]
                  ) -> Iterator[str]:
    """One row per voucher (type ``cheque``), then one per adjustment (``regularisation``).

    The ``montant_euros`` column sums to the amount due.
    """
    ref = queries.reference(statement)

    def rows() -> Iterator[list[Any]]:
        for line in queries.statement_lines(statement.id):
            yield [ref, "cheque", datetime_fr(line.redeemed_at), _text(line.workshop),
                   line.serial, "", euros_plain(line.value_cents)]
        for adjustment in adjustments:
            yield [ref, "regularisation", datetime_fr(adjustment.created_at), "",
                   "", _text(f"{adjustment.reason} (corrige "
                             f"{queries.reference(adjustment.corrects)})"),
                   euros_plain(adjustment.amount_cents)]

    return _rows_as_csv(LINES_HEADER, rows())


def finance_csv(statements: Iterable[Statement]) -> Iterator[str]:
    """One row per validated, paid or archived statement, for the paying accountant."""

    def rows() -> Iterator[list[Any]]:
        for s in statements:
            venue = s.venue
            yield [queries.reference(s), _text(venue.name), venue.siret or "",
                   venue.iban or "", s.departement.code, queries.period_key(s),
                   date_fr(s.period_start), date_fr(s.period_end),
                   s.voucher_count, euros_plain(s.total_cents),
                   euros_plain(s.adjustment_cents), euros_plain(queries.amount_due(s)),
                   queries.STATUS_LABELS[StatementStatus(s.status)].lower(),
                   datetime_fr(s.validated_at), date_fr(s.paid_on),
                   _text(s.payment_reference)]

    return _rows_as_csv(FINANCE_HEADER, rows())
