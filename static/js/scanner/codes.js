// Manual voucher codes, checked on the phone as passnum.core.codes checks them on the
// server: 12 Crockford base32 symbols, the last one a Luhn mod 32 check of the others.
// Typing is forgiving in the same way: case, dashes and spaces do not matter, "O" reads
// as "0" and "I"/"L" as "1". A typing error is caught here before anything is sent.

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ALIASES = { O: "0", I: "1", L: "1" };
const MANUAL_CODE_LENGTH = 12;
const MAX_TYPED_LENGTH = 64;

/** The Luhn mod 32 check symbol of canonical ``data`` (as codes.check_symbol). */
export function checkSymbol(data) {
  const n = ALPHABET.length;
  let factor = 2;
  let total = 0;
  for (let i = data.length - 1; i >= 0; i -= 1) {
    const addend = factor * ALPHABET.indexOf(data[i]);
    factor = factor === 2 ? 1 : 2;
    total += Math.floor(addend / n) + (addend % n);
  }
  return ALPHABET[(n - (total % n)) % n];
}

/** Canonical symbols of typed text, or null when a symbol is not of the alphabet. */
export function canonical(typed) {
  const text = String(typed);
  if (text.length > MAX_TYPED_LENGTH) return null;
  const symbols = Array.from(text.replace(/\s/g, "").replace(/-/g, "").toUpperCase(),
    (ch) => ALIASES[ch] || ch).join("");
  if (!symbols || [...symbols].some((ch) => !ALPHABET.includes(ch))) return null;
  return symbols;
}

/** True when ``typed`` is a manual code whose length and check symbol are right. */
export function isWellFormedManualCode(typed) {
  const code = canonical(typed);
  return code !== null && code.length === MANUAL_CODE_LENGTH
    && checkSymbol(code.slice(0, -1)) === code[MANUAL_CODE_LENGTH - 1];
}

/**
 * True when ``text`` is meant as a manual code: not a voucher link nor a signed token
 * (those carry a "/v/" path or a dot, and the server verifies their signature).
 */
export function looksTyped(text) {
  return !String(text).includes("/v/") && !String(text).includes(".");
}
