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
 * True when an answer settles a scan for good: a success, or a refusal about the
 * vouchers themselves (a reason code with a 4xx status). Everything else is technical
 * and decides nothing about the chèque: a lost session (401, expired CSRF token), a
 * forbidden account (403), a rate limit (429), a server error (5xx) or an answer that is
 * not the API's; the scan stays kept for a later try.
 */
export function isDefinitive(result) {
  if (result.status >= 200 && result.status < 300) return true;
  if (result.status < 400 || result.status >= 500) return false;
  if ([401, 403, 429].includes(result.status)) return false;
  const error = result.body && result.body.error;
  return Boolean(error && error.code) && error.code !== "csrf_failed";
}

/**
 * Why a technical answer decided nothing: "unauthenticated" (log in again), "csrf"
 * (the page's token is stale), "forbidden", "rate_limited" or "server_error", with the
 * HTTP status.
 */
export function technicalCause(result) {
  const error = (result.body && result.body.error) || {};
  if (result.status === 401) return { code: "unauthenticated", status: 401 };
  if (error.code === "csrf_failed") return { code: "csrf", status: result.status };
  if (result.status === 403) return { code: "forbidden", status: 403 };
  if (result.status === 429) return { code: "rate_limited", status: 429 };
  return { code: "server_error", status: result.status };
}

/**
 * Log the page's account in again without leaving the page: the login form's own token
 * (GET), then its POST, as the form would. Resolves to {ok, message}: ok when the server
 * opened a session (a redirect), else the French reason the login page gave.
 */
export async function logInAgain(loginUrl, email, password) {
  let form;
  try {
    form = await fetch(loginUrl, { credentials: "same-origin", cache: "no-store" });
  } catch (err) {
    throw new NetworkError(err);
  }
  if (form.redirected) return { ok: true, message: "" }; // another tab logged in already
  const page = new DOMParser().parseFromString(await form.text(), "text/html");
  const token = page.querySelector('input[name="csrf_token"]');
  const body = new URLSearchParams({ csrf_token: token ? token.value : "", email, password });
  let answer;
  try {
    answer = await fetch(loginUrl, {
      method: "POST", body, credentials: "same-origin", cache: "no-store", redirect: "manual",
    });
  } catch (err) {
    throw new NetworkError(err);
  }
  if (answer.type === "opaqueredirect" || (answer.status >= 300 && answer.status < 400)) {
    return { ok: true, message: "" };
  }
  const refused = new DOMParser().parseFromString(await answer.text(), "text/html");
  const reason = refused.querySelector("#password-err, #email-err, p.error");
  const fallback = answer.status === 429
    ? "Trop de tentatives de connexion : patientez quelques minutes."
    : "Connexion refusée : vérifiez le mot de passe.";
  return { ok: false, message: reason ? reason.textContent.trim() : fallback };
}

/**
 * Read a fresh CSRF token from the scanner page (after a new login, or when the page's
 * token went stale) and put it in the page. False when the page is not served to this
 * session (the login page answers instead): the agent must log in.
 */
export async function renewToken(pageUrl) {
  let response;
  try {
    response = await fetch(pageUrl, { credentials: "same-origin", cache: "no-store" });
  } catch (err) {
    throw new NetworkError(err);
  }
  if (!response.ok || response.redirected) return false;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.querySelector('meta[name="csrf-token"]');
  const mine = document.querySelector('meta[name="csrf-token"]');
  if (!fresh || !mine) return false;
  mine.content = fresh.content;
  return true;
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
