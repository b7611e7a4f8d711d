{# The booth app's service worker (served by fairs.booth_app_views.service_worker, scope /booth/).
   - Static assets of the app shell: precached, cache-first, in a cache named after a hash of
     their contents (a changed file makes a new worker, which drops the old cache).
   - Booth pages (/booth/<id>/): network first, the last good copy when offline.
   - Everything else, in particular state.json and the sync POST, goes to the network untouched:
     the app keeps its state and queue in IndexedDB. #}
"use strict";

const VERSION = {{ version|tojson }};
const ASSETS_CACHE = "booth-assets-" + VERSION;
const PAGES_CACHE = "booth-pages";
const ASSETS = {{ assets|tojson }};
const BOOTH_PAGE = /^\/booth\/\d+\/$/;
const BOOTH_MANIFEST = /^\/booth\/\d+\/manifest\.webmanifest$/;
const OFFLINE_PAGE = "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'><p>" +
  {{ offline_text|tojson }} + "</p>";

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(ASSETS_CACHE);
    // "reload": past the browser's HTTP cache, which may still hold the files this version replaces.
    await cache.addAll(ASSETS.map((url) => new Request(url, { cache: "reload" })));
    // The booth pages open now were loaded before this worker existed: keep them too.
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const pages = await caches.open(PAGES_CACHE);
    for (const client of windows) {
      const url = new URL(client.url);
      if (url.origin === self.location.origin && BOOTH_PAGE.test(url.pathname)) {
        try { await cachePage(pages, url.pathname); } catch (error) { /* offline: the page caches itself later */ }
      }
    }
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("booth-assets-") && name !== ASSETS_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// A booth page and its manifest, kept for offline use.
async function cachePage(cache, path) {
  const [page, manifest] = await Promise.all([
    fetch(path, { credentials: "same-origin", cache: "no-store" }),
    fetch(path + "manifest.webmanifest", { cache: "no-store" }),
  ]);
  if (manifest.ok) await cache.put(path + "manifest.webmanifest", manifest);
  if (page.ok && !page.redirected) await cache.put(path, page);
  return page;
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "cache-page" && typeof data.path === "string" && BOOTH_PAGE.test(data.path)) {
    event.waitUntil(caches.open(PAGES_CACHE).then((cache) => cachePage(cache, data.path)).then(
      () => event.source && event.source.postMessage({ type: "page-cached", path: data.path }),
      () => event.source && event.source.postMessage({ type: "page-not-cached", path: data.path }),
    ));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && BOOTH_PAGE.test(url.pathname)) {
    event.respondWith(boothPage(request, url.pathname));
  } else if (BOOTH_MANIFEST.test(url.pathname)) {
    event.respondWith(fetch(request).catch(() => caches.match(url.pathname, { cacheName: PAGES_CACHE }).then(
      (hit) => hit || Response.error(),
    )));
  } else if (ASSETS.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname, { cacheName: ASSETS_CACHE }).then((hit) => hit || fetch(request)));
  }
});

async function boothPage(request, path) {
  const cache = await caches.open(PAGES_CACHE);
  try {
    const response = await fetch(request);
    // A sign-in page (401) is shown but not kept: the last good copy stays for when offline.
    if (response.ok && !response.redirected) await cache.put(path, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(path);
    if (cached) return cached;
    return new Response(OFFLINE_PAGE,
      { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } },
    );
  }
}
