"""CSV export of a venue's redemptions (one row per voucher)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from passnum.core.formatting import datetime_fr, euros_plain, spreadsheet_text
from passnum.redemptions.models import Redemption

CSV_HEADER = ["encaissement", "date", "atelier", "numero_de_serie", "montant_euros",
              "departement_payeur", "etat", "annule_le"]


def history_csv(redemptions: Iterable[Redemption], departement_codes: dict[int, str]) -> str:
    """The rows as CSV (semicolon-separated, UTF-8 with BOM, as French spreadsheets want)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for redemption in redemptions:
        title = redemption.workshop.title if redemption.workshop else ""
        state = "annulé" if redemption.undone_at else "encaissé"
        for line in redemption.lines:
            writer.writerow([redemption.id, datetime_fr(redemption.redeemed_at),
                             spreadsheet_text(title),
                             line.voucher.serial, euros_plain(line.value_cents),
                             departement_codes.get(line.departement_id, ""), state,
                             datetime_fr(redemption.undone_at)])
    return out.getvalue()
