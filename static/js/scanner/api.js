// The scanner's calls to the JSON API: check a code, redeem, undo.
// Every call resolves to {status, body, replayed}; a network failure throws NetworkError.

/** The request never got an answer (offline, connection lost, server unreachable). */
export class NetworkError extends Error {
  constructor(cause) {
    super("network error");
    this.name = "NetworkError";
    this.cause = cause;
  }
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// On a weak connection a request may hang: give up after this long and treat it as a
// network failure (a redemption is then queued with its key, so a late success on the
// server is only replayed, never repeated).
const TIMEOUT_MS = 12000;

async function send(url, options = {}) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
  try {
    let response;
    try {
      response = await fetch(url, {
        credentials: "same-origin",
        cache: "no-store",
        signal: abort.signal,
        ...options,
        headers: { Accept: "application/json", ...(options.headers || {}) },
      });
    } catch (err) {
      throw new NetworkError(err);
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null; // a proxy's HTML error page, say: judged by its status alone
    }
    if (response.ok && body === null) {
      // a success whose body was lost on the way: as good as no answer
      throw new NetworkError(new Error("unreadable answer"));
    }
    return {
      status: response.status,
      body,
      replayed: response.headers.get("Idempotent-Replayed") === "true",
    };
  } finally {
    clearTimeout(timer);
  }
}

/** The refusal carried by an answer: {code, message, details}. */
export function refusalOf(result) {
  const error = result.body && result.body.error;
  if (error && error.code) {
    return { code: error.code, message: error.message || "", details: error.details || {} };
  }
  if (result.status === 429) {
    return { code: "rate_limited", message: "Trop de tentatives : réessayez dans un moment.", details: {} };
  }
  return {
    code: "server_error",
    message: `Le serveur n'a pas pu répondre (erreur ${result.status}) : réessayez.`,
    details: {},
  };
}

/**
 * True when an answer settles a queued redemption for good: a success, or a refusal
 * about the vouchers themselves. Rate limits, server errors and a lost session
 * (401, expired CSRF token) are not verdicts: the item stays queued for a later try.
 */
export function isDefinitive(result) {
  if (result.status >= 200 && result.status < 300) return true;
  if (result.status < 400 || result.status >= 500) return false;
  if (result.status === 429 || result.status === 401) return false;
  const refusal = refusalOf(result);
  return refusal.code !== "csrf_failed";
}

export function makeApi({ checkUrl, redeemUrl }) {
  return {
    check(code) {
      return send(`${checkUrl}?code=${encodeURIComponent(code)}`);
    },
    redeem({ codes, workshopId, key }) {
      return send(redeemUrl, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "Idempotency-Key": key,
          "X-CSRFToken": csrfToken(),
        },
        body: JSON.stringify({ codes, workshop_id: workshopId }),
      });
    },
    undo(redemptionId) {
      return send(`${redeemUrl}/${encodeURIComponent(redemptionId)}`, {
        method: "DELETE",
        headers: { "X-CSRFToken": csrfToken() },
      });
    },
  };
}
