// French display helpers for the scanner (amounts are integer euro cents, as on the server).

const NBSP = "\u00a0";

/** Format cents as "1 234,50 €" (non-breaking spaces), like passnum.core.formatting.euros. */
export function euros(cents) {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(Math.trunc(cents));
  const whole = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, NBSP);
  return `${sign}${whole},${String(abs % 100).padStart(2, "0")}${NBSP}€`;
}

/** "14:02" in the phone's time zone (the venue's). */
export function clock(date) {
  return date.toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit" });
}

/** "1 chèque", "2 chèques". */
export function vouchers(count) {
  return `${count} chèque${count > 1 ? "s" : ""}`;
}

/**
 * What to call a code before the server has named its voucher: the serial a QR link or
 * token carries in clear ("78-K7M2-9QX4-03"), else the typed code in groups of four.
 */
export function codeLabel(code) {
  const text = String(code).trim();
  const token = text.includes("/v/") ? text.split("/v/").pop().split(/[?#/]/)[0] : text;
  if (token.includes(".")) {
    return token.split(".")[0];
  }
  const symbols = token.replace(/[\s-]/g, "").toUpperCase();
  return symbols.length > 0 && symbols.length <= 16
    ? symbols.match(/.{1,4}/g).join("-")
    : `${symbols.slice(0, 16)}…`;
}
