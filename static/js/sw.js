// Service worker of the scanner, served at /scan/sw.js with scope /scan.
// It keeps the scanner page and its assets so that the page loads without network; API
// calls are never touched (the page queues redemptions itself while offline).
//
// The three values below are filled in by the server (passnum.redemptions.views): a hash
// of the assets, so that any change installs a fresh cache, the page URL and the assets.
const VERSION = "__VERSION__";
const PAGE = "__PAGE__";
const ASSETS = ["__ASSETS__"];

const CACHE = `passnum-scan-${VERSION}`;
// On a weak connection, serve the cached page rather than wait longer than this.
const PAGE_TIMEOUT_MS = 4000;

async function cachePage(cache) {
  // The page only when really served: not a login page after a redirect.
  const response = await fetch(PAGE, { credentials: "same-origin", cache: "no-store" });
  if (response.ok && !response.redirected) await cache.put(PAGE, response);
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // one missing asset must not leave the scanner without any offline copy
    await Promise.allSettled([...ASSETS.map((url) => cache.add(url)), cachePage(cache)]);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name.startsWith("passnum-scan-") && name !== CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

function timeout(ms) {
  return new Promise((resolve) => setTimeout(() => resolve(null), ms));
}

/** The page: from the network when it answers in time (and kept), else the cached copy. */
async function pageResponse(request) {
  const cache = await caches.open(CACHE);
  const network = fetch(request).then(async (response) => {
    if (response.ok && !response.redirected && response.type === "basic") {
      await cache.put(PAGE, response.clone());
    } else if (response.type === "opaqueredirect" || response.redirected) {
      await cache.delete(PAGE); // logged out: forget the page
    }
    return response;
  });
  const fast = await Promise.race([network.catch(() => null), timeout(PAGE_TIMEOUT_MS)]);
  if (fast) return fast;
  const cached = await cache.match(PAGE);
  if (cached) return cached;
  return network.catch(() => new Response(
    "<!doctype html><meta charset=utf-8><title>Hors ligne</title>" +
    "<p>Pas de réseau : le scanner n'a pas encore été enregistré sur ce téléphone.</p>",
    { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } },
  ));
}

/** An asset: from the cache of this version, else the network (and kept). */
async function assetResponse(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === PAGE && request.mode === "navigate") {
    event.respondWith(pageResponse(request));
  } else if (ASSETS.includes(url.pathname)) {
    event.respondWith(assetResponse(request));
  }
});
