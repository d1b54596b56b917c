// The venue's phone scanner (/scan): camera or typed code -> check -> redeem, with a
// basket for workshops costing several vouchers and an offline queue. The server decides
// everything; this page shows its verdicts and switches on their codes, never on text.

import {
  isDefinitive, logInAgain, makeApi, NetworkError, refusalOf, renewToken, technicalCause,
} from "./scanner/api.js";
import { Camera } from "./scanner/camera.js";
import { isWellFormedManualCode, looksTyped } from "./scanner/codes.js";
import { cue, unlockAudio } from "./scanner/feedback.js";
import { clock, codeLabel, euros, vouchers } from "./scanner/format.js";
import { openQueue } from "./scanner/queue.js";

// A QR code that stays in view is read once: it is read again only after being out of
// view this long (or after "Scanner à nouveau").
const SAME_CODE_QUIET_MS = 3000;
const RETRY_INTERVAL_MS = 10000;
const HISTORY_SIZE = 15;
const WORKSHOP_MEMORY = "passnum.scan.workshop";
// The camera starts on a tap the first time (the agent picks the workshop first, and the
// permission prompt follows a gesture), then by itself on later loads of this tab.
const CAMERA_MEMORY = "passnum.scan.camera";

const root = document.getElementById("scanner");
const byId = (id) => document.getElementById(id);
const ui = {
  banner: byId("network-banner"),
  workshop: byId("workshop"),
  video: byId("camera"),
  viewfinder: byId("viewfinder"),
  cameraStatus: byId("camera-status"),
  cameraToggle: byId("camera-toggle"),
  verdict: byId("verdict"),
  verdictTitle: byId("verdict-title"),
  verdictMessage: byId("verdict-message"),
  undo: byId("undo"),
  rescan: byId("rescan"),
  basket: byId("basket"),
  basketCount: byId("basket-count"),
  basketSize: byId("basket-size"),
  basketList: byId("basket-list"),
  basketSubmit: byId("basket-submit"),
  basketClear: byId("basket-clear"),
  manualForm: byId("manual-form"),
  manualCode: byId("manual-code"),
  manualSubmit: byId("manual-submit"),
  queue: byId("queue"),
  queueTitle: byId("queue-title"),
  queueHint: byId("queue-hint"),
  queueList: byId("queue-list"),
  queueClear: byId("queue-clear"),
  history: byId("history"),
  historyList: byId("history-list"),
  sound: byId("sound"),
  relogin: byId("relogin"),
  reloginForm: byId("relogin-form"),
  reloginPassword: byId("relogin-password"),
  reloginError: byId("relogin-error"),
  reloginLater: byId("relogin-later"),
};

const api = makeApi({ checkUrl: root.dataset.checkUrl, redeemUrl: root.dataset.redeemUrl });
const queueReady = openQueue(root.dataset.user);
const state = {
  basket: [], // [{code, serial, checked}]
  lastRedemption: null,
  seen: new Map(), // camera code -> last time seen
  busy: false,
  work: Promise.resolve(),
  flushing: false,
  pending: 0,
  loggedOut: false, // the server no longer knows this page's session: log in again
};

// What the agent reads when a scan could not be verified: the cause, then what to do.
// The scan is kept on the phone in every case, and sent again by itself.
const NOT_VERIFIED = {
  network_error: ["pas de réseau",
    "gardé sur ce téléphone, il sera vérifié et encaissé dès le retour du réseau."],
  unauthenticated: ["session expirée",
    "gardé sur ce téléphone. Reconnectez-vous : il sera alors vérifié et encaissé."],
  csrf: ["session à renouveler",
    "gardé sur ce téléphone, il sera renvoyé dans un instant (sinon, rechargez la page)."],
  forbidden: ["accès refusé",
    "gardé sur ce téléphone. Ce compte ne peut pas encaisser : connectez-vous avec le compte du lieu."],
  rate_limited: ["trop de vérifications",
    "gardé sur ce téléphone, il sera renvoyé tout seul dans une minute."],
  server_error: ["serveur indisponible",
    "gardé sur ce téléphone, il sera renvoyé tout seul. Si cela dure, prévenez la coordination du Pass numérique."],
};
// States where the code field is the only way in: it comes first and takes the focus.
const CAMERA_UNAVAILABLE = new Set(["insecure", "denied", "missing", "busy", "no-decoder", "error"]);

const CAMERA_MESSAGES = {
  starting: "Caméra : démarrage…",
  on: "Caméra active : placez le QR code du chèque dans le cadre.",
  off: "Caméra arrêtée : choisissez l'atelier, puis démarrez la caméra pour lire les QR codes.",
  insecure: "La caméra n'est accessible que sur une connexion sécurisée (https) : saisissez le code du chèque.",
  denied: "Accès à la caméra refusé : autorisez-le dans les réglages du navigateur, ou saisissez le code du chèque.",
  missing: "Aucune caméra disponible sur cet appareil : saisissez le code du chèque.",
  busy: "La caméra est occupée par une autre application : fermez-la puis démarrez la caméra, ou saisissez le code du chèque.",
  "no-decoder": "La lecture des QR codes n'a pas pu être chargée : saisissez le code du chèque.",
  error: "La caméra n'a pas pu démarrer : saisissez le code du chèque.",
};

// --- helpers -----------------------------------------------------------------------------

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // plain http on a local network has no randomUUID; getRandomValues works everywhere
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function chosenWorkshop() {
  const option = ui.workshop.selectedOptions[0] || ui.workshop.options[0];
  return {
    id: option.value ? Number(option.value) : null,
    price: Math.max(1, Number(option.dataset.price) || 1),
    label: option.value ? option.textContent.split(" — ")[0].trim() : "Sans atelier",
  };
}

/** Run ``task`` after the tasks before it: scans are handled one at a time, in order. */
function enqueueWork(task) {
  state.work = state.work.then(async () => {
    state.busy = true;
    try {
      await task();
    } catch (err) {
      showVerdict("bad", "Erreur", "Une erreur inattendue est survenue : rechargez la page.", "client_error");
      console.warn("scanner:", err);
    } finally {
      state.busy = false;
    }
  });
  return state.work;
}

// Serials (78-K7M2-9QX4-03) and manual codes (K7M2-9QXP-4TJ6) must not break at their dashes.
const CODE_PATTERN = /[0-9A-Z]{2,4}(?:-[0-9A-Z]{2,4}){2,3}/g;

/** Fill ``element`` with ``text``, each serial or code in an unbreakable span. */
function setText(element, text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(CODE_PATTERN)) {
    parts.push(text.slice(last, match.index));
    const code = document.createElement("span");
    code.className = "serial";
    code.textContent = match[0];
    parts.push(code);
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  element.replaceChildren(...parts.filter((part) => part !== ""));
}

function showVerdict(kind, title, message, code = "") {
  ui.verdict.dataset.state = kind;
  ui.verdict.dataset.code = code;
  ui.verdictTitle.textContent = title;
  setText(ui.verdictMessage, message);
  if (kind !== "pending") ui.undo.hidden = true;
  ui.rescan.hidden = kind === "idle";
  // only a refusal of the chèque itself gets the refusal cue; a check that could not be
  // made (unverified) or a typing error gets the soft one
  if (kind === "ok" || kind === "bad") cue(kind, ui.sound.checked);
  else if (["info", "queued", "unverified", "mistyped"].includes(kind)) cue("info", ui.sound.checked);
}

/** The neutral verdict of a scan kept because it could not be verified. */
function showUnverified(label, cause) {
  const [why, what] = NOT_VERIFIED[cause.code] || NOT_VERIFIED.server_error;
  const status = cause.status && cause.code === "server_error" ? ` (erreur ${cause.status})` : "";
  showVerdict("unverified", `Non vérifié : ${why}${status}`, `${label} : ${what}`, cause.code);
}

/** A typed code the server could not read: said at once, nothing sent nor kept. */
function mistyped(typed, code, title, message) {
  showVerdict("mistyped", title, message, code);
  ui.manualCode.value = typed;
  ui.manualCode.focus();
}

function addHistory(kind, label, message, code = "") {
  const item = document.createElement("li");
  item.dataset.state = kind;
  item.dataset.code = code;
  const time = document.createElement("span");
  time.className = "scan-time";
  time.textContent = clock(new Date());
  const text = document.createElement("span");
  setText(text, ` ${label} — ${message}`);
  item.append(time, text);
  ui.historyList.prepend(item);
  while (ui.historyList.children.length > HISTORY_SIZE) ui.historyList.lastElementChild.remove();
  ui.history.hidden = false;
}

function redeemedText(redemption) {
  const serials = redemption.vouchers.map((v) => v.serial).join(", ");
  return `Encaissé : ${serials}, ${euros(redemption.total_cents)}`;
}

// --- scanning ----------------------------------------------------------------------------

/** A code from the camera or the keyboard; camera codes still in view are ignored. */
function submitCode(text, source) {
  const code = String(text).trim();
  if (source === "manual" && !code) {
    mistyped(text, "missing_code", "Aucun code saisi",
      "Saisissez le code du chèque (12 caractères sous le QR code, par exemple K7M2-9QXP-4TJ6), puis « Valider ».");
    return;
  }
  if (!code) return;
  if (source === "manual" && looksTyped(code) && !isWellFormedManualCode(code)) {
    mistyped(text, "mistyped_code", "Code mal saisi",
      "Un caractère est erroné ou manque : comparez avec le code imprimé sous le QR code (12 caractères, par exemple K7M2-9QXP-4TJ6).");
    return;
  }
  if (source === "camera") {
    const now = Date.now();
    const last = state.seen.get(code);
    if (last !== undefined && now - last < SAME_CODE_QUIET_MS) {
      state.seen.set(code, now);
      return;
    }
    if (state.busy) return; // read again on a later frame, once this scan is done
    for (const [seen, at] of state.seen) {
      if (now - at >= SAME_CODE_QUIET_MS) state.seen.delete(seen);
    }
    state.seen.set(code, now);
  }
  enqueueWork(() => handleCode(code));
}

async function handleCode(code) {
  const workshop = chosenWorkshop();
  const label = codeLabel(code);
  if (!navigator.onLine || state.loggedOut) {
    await keptUnverified(code, label, workshop,
      { code: navigator.onLine ? "unauthenticated" : "network_error" });
    return;
  }
  showVerdict("pending", "Vérification…", label);
  let result;
  try {
    result = await api.check(code);
  } catch (err) {
    if (!(err instanceof NetworkError)) throw err;
    await keptUnverified(code, label, workshop, { code: "network_error" });
    return;
  }
  if (result.status !== 200) {
    if (!isDefinitive(result)) {
      await keptUnverified(code, label, workshop, technicalCause(result));
      return;
    }
    refused(label, refusalOf(result));
    return;
  }
  const voucher = result.body;
  if (!voucher.valid) {
    refused(voucher.serial, { code: voucher.reason, message: voucher.message });
    return;
  }
  if (workshop.price > 1) {
    addToBasket({ code, serial: voucher.serial, checked: true }, workshop);
    return;
  }
  await redeemNow([code], workshop, voucher.serial);
}

/**
 * A code that could not be checked (no network, session lost, rate limit, server
 * error) goes to the queue (or the basket) as it is, to be sent when the cause is gone.
 */
async function keptUnverified(code, label, workshop, cause) {
  if (workshop.price > 1) {
    addToBasket({ code, serial: label, checked: false }, workshop);
  } else {
    await addToQueue({ codes: [code], label, workshop }, cause);
  }
  await sessionTrouble(cause);
}

function refused(label, refusal) {
  showVerdict("bad", "Chèque refusé", refusal.message, refusal.code);
  addHistory("bad", label, refusal.message, refusal.code);
}

/**
 * POST the redemption with a fresh Idempotency-Key; on a network failure (or an answer
 * that settles nothing, such as a 5xx) the same request is queued with the same key.
 * Returns "ok", "bad" (with the refusal) or "queued".
 */
async function redeemNow(codes, workshop, label) {
  const item = { codes, label, workshop };
  item.key = newKey();
  showVerdict("pending", "Encaissement…", label);
  let result;
  try {
    result = await api.redeem({ codes, workshopId: workshop.id, key: item.key });
  } catch (err) {
    if (!(err instanceof NetworkError)) throw err;
    await addToQueue(item, { code: "network_error" });
    return { outcome: "queued" };
  }
  if (!isDefinitive(result)) {
    const cause = technicalCause(result);
    await addToQueue(item, cause);
    await sessionTrouble(cause);
    return { outcome: "queued" };
  }
  if (result.status >= 200 && result.status < 300) {
    const redemption = result.body;
    const text = redeemedText(redemption);
    const title = redemption.vouchers.length > 1 ? "Chèques encaissés" : "Chèque encaissé";
    const where = workshop.id ? ` (${workshop.label})` : "";
    showVerdict("ok", title, `${text}${where}`, "ok");
    addHistory("ok", label, `encaissé, ${euros(redemption.total_cents)}${where}`, "ok");
    state.lastRedemption = redemption;
    ui.undo.hidden = false;
    ui.undo.disabled = false;
    flushSoon();
    return { outcome: "ok" };
  }
  const refusal = refusalOf(result);
  refused(label, refusal);
  return { outcome: "bad", refusal };
}

// --- basket ------------------------------------------------------------------------------

function addToBasket(entry, workshop) {
  if (state.basket.some((b) => b.serial === entry.serial)) {
    refused(entry.serial, { code: "duplicate_code", message: "Ce chèque est déjà dans le panier." });
    return;
  }
  if (state.basket.length >= workshop.price) {
    refused(entry.serial, {
      code: "basket_full",
      message: `Le panier est complet (${vouchers(workshop.price)}) : encaissez-le ou videz-le.`,
    });
    return;
  }
  state.basket.push(entry);
  renderBasket();
  const count = state.basket.length;
  const next = count === workshop.price ? "Appuyez sur « Encaisser »." : "Scannez le chèque suivant.";
  const checked = entry.checked ? "Chèque valable" : "Chèque ajouté (non vérifié)";
  showVerdict("info", checked, `${entry.serial} ajouté au panier (${count} sur ${workshop.price}). ${next}`, "added");
}

function renderBasket() {
  const workshop = chosenWorkshop();
  ui.basket.hidden = workshop.price <= 1;
  ui.basketSize.textContent = String(workshop.price);
  ui.basketCount.textContent = String(state.basket.length);
  ui.basketList.replaceChildren(...state.basket.map((entry, index) => {
    const item = document.createElement("li");
    item.dataset.code = entry.refusal || "";
    const text = document.createElement("span");
    text.textContent = entry.refusal ? `${entry.serial} — refusé` : entry.serial;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "link-button";
    remove.textContent = "Retirer";
    remove.setAttribute("aria-label", `Retirer ${entry.serial} du panier`);
    remove.addEventListener("click", () => {
      state.basket.splice(index, 1);
      renderBasket();
    });
    item.append(text, " ", remove);
    return item;
  }));
  ui.basketSubmit.disabled = state.basket.length !== workshop.price;
}

function clearBasket() {
  state.basket = [];
  renderBasket();
}

async function submitBasket() {
  const workshop = chosenWorkshop();
  const entries = [...state.basket];
  if (entries.length !== workshop.price) return;
  const label = entries.map((e) => e.serial).join(", ");
  const answer = await redeemNow(entries.map((e) => e.code), workshop, label);
  if (answer.outcome !== "bad") {
    clearBasket();
    return;
  }
  // keep the basket, marking the vouchers the server refused so they can be removed
  const verdicts = (answer.refusal.details && answer.refusal.details.vouchers) || [];
  for (const verdict of verdicts) {
    if (entries[verdict.index] && verdict.code !== "ok") entries[verdict.index].refusal = verdict.code;
  }
  renderBasket();
}

// --- offline queue -----------------------------------------------------------------------

function queueItemText(item) {
  const where = item.workshopLabel ? ` · ${item.workshopLabel}` : "";
  return `${item.label}${where} · scanné à ${clock(new Date(item.queuedAt))}`;
}

function renderQueueItem(item, note = "") {
  let row = ui.queueList.querySelector(`li[data-key="${CSS.escape(item.key)}"]`);
  if (!row) {
    row = document.createElement("li");
    row.dataset.key = item.key;
    ui.queueList.append(row);
  }
  row.dataset.state = "waiting";
  row.dataset.code = "";
  const what = document.createElement("span");
  setText(what, queueItemText(item));
  const status = document.createElement("span");
  status.className = "scan-item-status";
  status.textContent = note ? `en attente (${note})` : "en attente";
  row.replaceChildren(what, " — ", status);
}

function settleQueueItem(item, result) {
  const row = ui.queueList.querySelector(`li[data-key="${CSS.escape(item.key)}"]`);
  if (!row) return;
  const ok = result.status >= 200 && result.status < 300;
  const refusal = ok ? null : refusalOf(result);
  row.dataset.state = ok ? "ok" : "bad";
  row.dataset.code = ok ? "ok" : refusal.code;
  const status = row.querySelector(".scan-item-status");
  setText(status, ok ? redeemedText(result.body) : `Refusé : ${refusal.message}`);
  cue(ok ? "ok" : "bad", ui.sound.checked);
  return ok;
}

/** Recount the waiting items from the store (another tab may have sent some). */
async function countPending() {
  const queue = await queueReady;
  state.pending = (await queue.list()).length;
  updateQueueView();
}

function updateQueueView() {
  const settled = ui.queueList.querySelectorAll('li:not([data-state="waiting"])').length;
  ui.queue.hidden = state.pending === 0 && settled === 0;
  ui.queueTitle.textContent = state.pending > 0 || settled === 0
    ? `En attente de réseau (${state.pending})`
    : "Scans envoyés au retour du réseau";
  ui.queueHint.hidden = state.pending === 0;
  ui.queueClear.hidden = settled === 0;
}

async function addToQueue({ codes, label, workshop, key }, cause) {
  const queue = await queueReady;
  const item = await queue.add({
    key: key || newKey(),
    codes,
    label,
    workshopId: workshop.id,
    workshopLabel: workshop.id ? workshop.label : "",
    queuedAt: new Date().toISOString(),
  });
  renderQueueItem(item, (NOT_VERIFIED[cause.code] || NOT_VERIFIED.server_error)[0]);
  await countPending();
  showUnverified(label, cause);
}

/**
 * Send the queued redemptions in order, each with its own key. An item leaves the queue
 * only on a definitive answer; a network failure or a 5xx/429 stops the round.
 */
async function flushQueue() {
  if (state.flushing || !navigator.onLine || state.loggedOut) return;
  state.flushing = true;
  const sent = { ok: 0, bad: 0 };
  let last = null;
  try {
    const queue = await queueReady;
    const items = await queue.list();
    for (const item of items) {
      let result;
      try {
        result = await api.redeem({ codes: item.codes, workshopId: item.workshopId, key: item.key });
      } catch (err) {
        if (err instanceof NetworkError) break;
        throw err;
      }
      if (!isDefinitive(result)) {
        renderQueueItem(item, refusalOf(result).message);
        await sessionTrouble(technicalCause(result));
        break;
      }
      await queue.remove(item.seq);
      sent[settleQueueItem(item, result) ? "ok" : "bad"] += 1;
      last = { item, result };
      await countPending();
    }
  } finally {
    state.flushing = false;
    await countPending();
  }
  const waiting = ["queued", "unverified"].includes(ui.verdict.dataset.state);
  if (sent.ok + sent.bad === 1 && state.pending === 0 && waiting) {
    // the verdict still said "not verified" about this one scan: now it has its answer
    showSettled(last.item, last.result);
  } else if (sent.ok + sent.bad > 0 && state.pending === 0 && waiting) {
    // the verdict still said "waiting": say that the wait is over, results in the list
    const summary = `${sent.ok} encaissé${sent.ok > 1 ? "s" : ""}, ${sent.bad} refusé${sent.bad > 1 ? "s" : ""}`;
    showVerdict("info", "Réseau revenu", `Scans en attente envoyés : ${summary}. Détail ci-dessous.`, "flushed");
  }
}

/** Show the answer a kept scan finally got, as if it had come at once. */
function showSettled(item, result) {
  const where = item.workshopLabel ? ` (${item.workshopLabel})` : "";
  if (result.status >= 200 && result.status < 300) {
    const redemption = result.body;
    const title = redemption.vouchers.length > 1 ? "Chèques encaissés" : "Chèque encaissé";
    showVerdict("ok", title, `${redeemedText(redemption)}${where}`, "ok");
    addHistory("ok", item.label, `encaissé, ${euros(redemption.total_cents)}${where}`, "ok");
    state.lastRedemption = redemption;
    ui.undo.hidden = false;
    ui.undo.disabled = false;
  } else {
    refused(item.label, refusalOf(result));
  }
}

// --- an expired session: log in again on the page --------------------------------------

/**
 * A technical answer about the session: a stale CSRF token is renewed quietly (the
 * next round resends); a session the server no longer knows asks for the password.
 */
async function sessionTrouble(cause) {
  if (cause.code === "csrf") {
    try {
      if (await renewToken(root.dataset.pageUrl)) return;
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
      return;
    }
    askLogin();
  } else if (cause.code === "unauthenticated") {
    askLogin();
  }
}

/**
 * Back on the page after a while (the phone in a pocket): find out before the next scan
 * whether the session still lives, and take a fresh CSRF token on the way.
 */
async function checkSession() {
  if (!navigator.onLine || state.loggedOut) return;
  try {
    if (!(await renewToken(root.dataset.pageUrl))) askLogin();
  } catch (err) {
    if (!(err instanceof NetworkError)) throw err;
  }
}

/** Open the login dialog; the page, its workshop and the queue stay as they are. */
function askLogin() {
  state.loggedOut = true;
  if (ui.relogin.open) return;
  ui.reloginError.hidden = true;
  ui.reloginPassword.value = "";
  ui.relogin.showModal();
  ui.reloginPassword.focus();
}

function loginFailed(message) {
  ui.reloginError.textContent = message;
  ui.reloginError.hidden = false;
  ui.reloginPassword.focus();
}

async function submitLogin(event) {
  event.preventDefault();
  const password = ui.reloginPassword.value;
  if (!password) {
    loginFailed("Saisissez votre mot de passe.");
    return;
  }
  const button = ui.reloginForm.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const answer = await logInAgain(root.dataset.loginUrl, root.dataset.email, password);
    if (!answer.ok) {
      loginFailed(answer.message);
      return;
    }
    if (!(await renewToken(root.dataset.pageUrl))) {
      loginFailed("La connexion demande une étape de plus : rechargez la page (les scans en attente restent gardés sur ce téléphone).");
      return;
    }
  } catch (err) {
    if (!(err instanceof NetworkError)) throw err;
    loginFailed("Pas de réseau : réessayez dès son retour (les scans en attente restent gardés sur ce téléphone).");
    return;
  } finally {
    button.disabled = false;
  }
  state.loggedOut = false;
  ui.reloginPassword.value = "";
  ui.relogin.close();
  if (state.pending > 0) {
    await flush(); // the verdict then shows what the kept scans became
  } else {
    showVerdict("info", "Reconnecté(e)", "Vous pouvez scanner les chèques.", "logged_in");
  }
  ui.manualCode.focus();
}

function flush() {
  if (navigator.locks) {
    // one tab at a time sends this phone's queue
    return navigator.locks.request("passnum-scan-queue", { ifAvailable: true }, (lock) =>
      lock ? flushQueue() : null);
  }
  return flushQueue();
}

function flushSoon() {
  if (state.pending > 0) flush().catch((err) => console.warn("scanner queue:", err));
}

// --- camera ------------------------------------------------------------------------------

/** Show the camera's state; without a usable camera the code field comes first. */
function showCamera(cameraState) {
  ui.viewfinder.dataset.state = cameraState;
  ui.cameraStatus.textContent = CAMERA_MESSAGES[cameraState] || CAMERA_MESSAGES.error;
  const running = cameraState === "on" || cameraState === "starting";
  ui.cameraToggle.textContent = running ? "Arrêter la caméra" : "Démarrer la caméra";
  ui.cameraToggle.classList.toggle("button-secondary", running);
  ui.cameraToggle.disabled = cameraState === "insecure";
  const unavailable = CAMERA_UNAVAILABLE.has(cameraState);
  root.dataset.camera = unavailable ? "none" : "";
  if (unavailable && !ui.relogin.open) ui.manualCode.focus();
}

/** A device that has no camera at all says so before any tap. */
async function probeCamera() {
  const media = navigator.mediaDevices;
  if (!media || !media.enumerateDevices) return;
  const devices = await media.enumerateDevices().catch(() => null);
  if (devices && !devices.some((device) => device.kind === "videoinput") && !camera.isRunning) {
    showCamera("missing");
  }
}

const camera = new Camera({
  video: ui.video,
  jsqrUrl: root.dataset.jsqrUrl,
  onCode: (text) => submitCode(text, "camera"),
  onState: showCamera,
});
let resumeCamera = false;

// --- wiring ------------------------------------------------------------------------------

function restoreWorkshop() {
  const remembered = sessionStorage.getItem(WORKSHOP_MEMORY);
  if (remembered !== null && Array.from(ui.workshop.options).some((o) => o.value === remembered)) {
    ui.workshop.value = remembered;
  }
}

function updateBanner() {
  ui.banner.hidden = navigator.onLine;
}

function bind() {
  for (const type of ["pointerdown", "keydown"]) {
    document.addEventListener(type, unlockAudio, { passive: true });
  }
  ui.manualForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = ui.manualCode.value;
    ui.manualCode.value = "";
    submitCode(code, "manual");
  });
  ui.workshop.addEventListener("change", () => {
    sessionStorage.setItem(WORKSHOP_MEMORY, ui.workshop.value);
    if (state.basket.length > 0) {
      clearBasket();
      showVerdict("info", "Panier vidé", "L'atelier a changé : scannez de nouveau les chèques.", "basket_cleared");
    }
    renderBasket();
  });
  ui.basketSubmit.addEventListener("click", () => enqueueWork(submitBasket));
  ui.basketClear.addEventListener("click", () => {
    clearBasket();
    showVerdict("idle", "Panier vidé", "Scannez les chèques de l'atelier.");
  });
  ui.undo.addEventListener("click", () => enqueueWork(undoLast));
  ui.reloginForm.addEventListener("submit", (event) => {
    submitLogin(event).catch((err) => {
      loginFailed("Une erreur inattendue est survenue : rechargez la page (les scans en attente restent gardés).");
      console.warn("scanner login:", err);
    });
  });
  ui.reloginLater.addEventListener("click", () => ui.relogin.close());
  ui.rescan.addEventListener("click", () => {
    state.seen.clear();
    state.lastRedemption = null;
    showVerdict("idle", "Prêt à scanner", "Présentez le QR code d'un chèque à la caméra, ou saisissez son code.");
  });
  ui.cameraToggle.addEventListener("click", () => {
    if (camera.isRunning) {
      sessionStorage.removeItem(CAMERA_MEMORY);
      camera.stop();
    } else {
      sessionStorage.setItem(CAMERA_MEMORY, "on");
      camera.start();
    }
  });
  ui.queueClear.addEventListener("click", () => {
    ui.queueList.querySelectorAll('li:not([data-state="waiting"])').forEach((row) => row.remove());
    updateQueueView();
  });
  const logout = document.querySelector('form[action$="/deconnexion"]');
  if (logout) {
    // forget the cached page (it names this account); unsent scans stay in their queue
    logout.addEventListener("submit", (event) => {
      if (!("caches" in window)) return;
      event.preventDefault();
      caches.keys()
        .then((names) => Promise.all(names
          .filter((name) => name.startsWith("passnum-scan-"))
          .map((name) => caches.delete(name))))
        .finally(() => HTMLFormElement.prototype.submit.call(logout));
    });
  }
  window.addEventListener("online", () => {
    updateBanner();
    flushSoon();
  });
  window.addEventListener("offline", updateBanner);
  document.addEventListener("visibilitychange", () => {
    // release the camera while the page is hidden: battery, and the camera light
    if (document.hidden) {
      resumeCamera = camera.isRunning;
      if (resumeCamera) camera.stop();
    } else {
      if (resumeCamera) camera.start();
      checkSession();
    }
  });
}

async function undoLast() {
  const redemption = state.lastRedemption;
  if (!redemption) return;
  ui.undo.disabled = true;
  const serials = redemption.vouchers.map((v) => v.serial).join(", ");
  let result;
  try {
    result = await api.undo(redemption.id);
  } catch (err) {
    if (!(err instanceof NetworkError)) throw err;
    showVerdict("bad", "Annulation impossible", "Pas de réseau : réessayez l'annulation dès le retour du réseau.", "network_error");
    ui.undo.hidden = false;
    ui.undo.disabled = false;
    return;
  }
  if (result.status === 200) {
    state.lastRedemption = null;
    state.seen.clear();
    const message = `${serials} : encaissement annulé, le chèque est de nouveau utilisable.`;
    showVerdict("info", "Encaissement annulé", message, "undone");
    addHistory("info", serials, "encaissement annulé", "undone");
    return;
  }
  const refusal = refusalOf(result);
  showVerdict("bad", "Annulation refusée", refusal.message, refusal.code);
}

async function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  try {
    await navigator.serviceWorker.register(root.dataset.swUrl, { scope: root.dataset.swScope });
  } catch (err) {
    console.warn("scanner: no offline cache", err);
  }
}

async function start() {
  bind();
  restoreWorkshop();
  renderBasket();
  updateBanner();
  const queue = await queueReady;
  for (const item of await queue.list()) renderQueueItem(item);
  await countPending();
  registerServiceWorker();
  if (sessionStorage.getItem(CAMERA_MEMORY) === "on") {
    camera.start();
  } else {
    camera.stop();
    await probeCamera();
  }
  // the page works from here on: typed codes may be sent (until now Enter did nothing)
  ui.manualSubmit.disabled = false;
  root.dataset.ready = "true";
  flushSoon();
  setInterval(flushSoon, RETRY_INTERVAL_MS);
}

start();
