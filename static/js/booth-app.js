/* The booth app (templates/fairs/booth_app/app.html): records a booth's sales on the phone,
   online or not, and syncs them exactly once (docs/booth-app-protocol.md).

   - The booth's state (products with fair prices and stock, bank account, today's totals, CSRF
     token) and every sale recorded here live in IndexedDB, so the page works offline once it
     was opened online; the service worker (/booth/sw.js) keeps the page and its files.
   - A sale gets its id here (a UUID) and stays "not synced" until the server answered for that
     id: a failed or unanswered POST keeps it queued, and the server records an id once, so
     sending it again is harmless.
   - The QR code on a transfer receipt is the VietQR payload payments/vietqr.py makes (a port of
     the vietnam-qr-pay package's builder, CRC16-CCITT included), drawn by the vendored
     qrcode-generator library. */
(function () {
  "use strict";

  // --- VietQR payload (same bytes as marketplace.payments.vietqr.vietqr_payload) --------------

  const CRC_TABLE = (() => {
    const table = [];
    for (let n = 0; n < 256; n++) {
      let crc = n << 8;
      for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
      table.push(crc);
    }
    return table;
  })();

  function crc16ccitt(text) {
    let crc = 0xffff;
    for (const byte of new TextEncoder().encode(text)) {
      crc = (CRC_TABLE[((crc >> 8) ^ byte) & 0xff] ^ (crc << 8)) & 0xffff;
    }
    return crc;
  }

  function field(id, value) {
    // An absent or empty value leaves the field out, as vietnam-qr-pay does.
    if (value === null || value === undefined || value === "") return "";
    const text = String(value);
    return id + String(text.length).padStart(2, "0") + text;
  }

  function vietqrPayload(bankBin, accountNumber, amountVnd, memo) {
    const amount = amountVnd === null || amountVnd === undefined ? "" : String(amountVnd);
    const provider = field("00", "A000000727") + field("01", field("00", bankBin) + field("01", accountNumber)) +
      field("02", "QRIBFTTA");
    const content = field("00", "01") + field("01", amount ? "12" : "11") + field("38", provider) +
      field("53", "704") + field("54", amount) + field("58", "VN") + field("62", field("08", memo)) + "6304";
    return content + crc16ccitt(content).toString(16).toUpperCase().padStart(4, "0");
  }

  const MEMO_MAX_LENGTH = 25;

  function foldAccents(text) {
    return text.replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD").replace(/\p{M}/gu, "");
  }

  function transferMemo(text) {
    const memo = foldAccents(text).replace(/[^A-Za-z0-9 -]+/g, " ");
    return memo.split(/\s+/).filter(Boolean).join(" ").slice(0, MEMO_MAX_LENGTH).trim();
  }

  window.BoothApp = { vietqrPayload, transferMemo, crc16ccitt };

  const configNode = document.getElementById("booth-app-config");
  if (!configNode) return;
  const config = JSON.parse(configNode.dataset.config);
  const S = config.strings;
  const BOOTH = config.booth_id;
  const BATCH = 200;
  const SYNC_EVERY_MS = 30000;
  const SEARCH_FROM = 8; // products: more than this and a search box shows

  // --- helpers -------------------------------------------------------------------------------

  const $ = (selector, root = document) => root.querySelector(selector);
  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
  const money = new Intl.NumberFormat(config.locale === "en" ? "en" : "vi-VN", { style: "currency", currency: "VND" });
  const vnd = (amount) => money.format(amount || 0);
  const clock = new Intl.DateTimeFormat("vi-VN", { timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit", hour12: false });
  const stamp = new Intl.DateTimeFormat("vi-VN", {
    timeZone: "Asia/Ho_Chi_Minh", day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit", hour12: false,
  });
  const dayKey = (date) => new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Ho_Chi_Minh" }).format(date);
  const today = () => dayKey(serverNow());
  // The server's clock, as far as the phone knows it (a phone set a few minutes ahead would have
  // its sales refused as "in the future"): the offset is measured at each state received.
  let clockOffsetMs = 0;
  const serverNow = () => new Date(Date.now() + clockOffsetMs);
  const isoNow = () => serverNow().toISOString().replace(/\.\d{3}Z$/, "Z");

  function newId() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // --- IndexedDB -----------------------------------------------------------------------------

  let dbPromise = null;
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open("booth-app", 1);
        request.onupgradeneeded = () => {
          const db = request.result;
          db.createObjectStore("states", { keyPath: "booth_id" });
          const sales = db.createObjectStore("sales", { keyPath: "id" });
          sales.createIndex("booth_id", "booth_id");
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return dbPromise;
  }

  async function tx(store, mode, work) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(store, mode);
      let result;
      Promise.resolve(work(transaction.objectStore(store))).then((value) => { result = value; });
      transaction.oncomplete = () => resolve(result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  }

  const asPromise = (request) => new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

  const loadState = () => tx("states", "readonly", (store) => asPromise(store.get(BOOTH)));
  const saveState = (record) => tx("states", "readwrite", (store) => { store.put(record); });
  const loadSales = () => tx("sales", "readonly", (store) => asPromise(store.index("booth_id").getAll(BOOTH)));
  const putSales = (list) => tx("sales", "readwrite", (store) => { list.forEach((sale) => store.put(sale)); });

  // --- what the page knows ------------------------------------------------------------------

  const app = {
    state: null, // the server's state.json as last received
    syncedAt: null, // when it was received (ISO)
    sales: [], // this phone's sales
    netFailed: false,
    signedOut: false,
    syncing: false,
    again: false,
  };

  const pending = () => app.sales.filter((s) => s.status === "pending").sort(bySoldAt);
  function bySoldAt(a, b) {
    return a.sold_at < b.sold_at ? -1 : a.sold_at > b.sold_at ? 1 : (a.seq || 0) - (b.seq || 0);
  }

  function localStock(product) {
    const queued = pending().filter((s) => s.product_id === product.id).reduce((n, s) => n + s.quantity, 0);
    return product.stock - queued;
  }

  // --- rendering ------------------------------------------------------------------------------

  const ui = {
    online: $("[data-online]"),
    lastSync: $("[data-last-sync]"),
    waiting: $("[data-waiting-count]"),
    syncNow: $("[data-sync-now]"),
    message: $("[data-message]"),
    signIn: $("[data-sign-in]"),
    cannotSell: $("[data-cannot-sell]"),
    form: $("[data-sale-form]"),
    searchBox: $("[data-search-box]"),
    search: $("[data-product-search]"),
    products: $("[data-products]"),
    quantity: $("#sale-quantity"),
    total: $("[data-sale-total]"),
    record: $("[data-record]"),
    formMessage: $("[data-form-message]"),
    sales: $("[data-sales]"),
    noSales: $("[data-no-sales]"),
    receipt: $("[data-receipt]"),
  };

  const isOnline = () => navigator.onLine && !app.netFailed;

  function renderStatus() {
    const online = isOnline();
    ui.online.textContent = online ? S.online : S.offline;
    ui.online.classList.toggle("is-offline", !online);
    document.documentElement.dataset.connection = online ? "yes" : "no";
    ui.lastSync.textContent = app.syncedAt ? fill(S.synced_at, { time: clock.format(new Date(app.syncedAt)) }) : S.never_synced;
    ui.waiting.textContent = fill(S.waiting, { num: pending().length });
    ui.waiting.dataset.count = String(pending().length);
    ui.syncNow.disabled = app.syncing;
    ui.syncNow.setAttribute("aria-busy", app.syncing ? "true" : "false");
    ui.signIn.hidden = !app.signedOut;
  }

  function showMessage(text) {
    ui.message.textContent = text || "";
    ui.message.hidden = !text;
  }

  function renderProducts() {
    const state = app.state;
    if (!state) {
      ui.products.replaceChildren(paragraph(S.no_state, "muted"));
      ui.record.disabled = true;
      return;
    }
    const chosen = selectedProductId();
    const query = foldAccents(ui.search.value || "").toLowerCase().trim();
    ui.searchBox.hidden = state.products.length <= SEARCH_FROM;
    const tiles = [];
    for (const product of state.products) {
      const label = document.createElement("label");
      label.className = "product-tile";
      label.dataset.productId = String(product.id);
      const input = document.createElement("input");
      input.type = "radio";
      input.name = "product";
      input.value = String(product.id);
      input.checked = product.id === chosen;
      const name = span("product-name", product.name);
      const price = span("product-price", `${vnd(product.price_vnd)} / ${product.unit}`);
      const left = localStock(product);
      const stock = span("product-stock", fill(S.left, { num: left }));
      stock.dataset.stock = String(left);
      if (left <= 0) label.classList.add("is-empty");
      label.append(input, name, price, stock);
      label.hidden = Boolean(query) && !foldAccents(product.name).toLowerCase().includes(query);
      tiles.push(label);
    }
    if (!tiles.some((t) => !t.hidden)) tiles.push(paragraph(state.products.length ? S.no_products : S.choose_product, "muted"));
    ui.products.replaceChildren(...tiles);
    ui.cannotSell.hidden = state.can_sell !== false;
    ui.record.disabled = state.can_sell === false;
    renderTotal();
  }

  function span(className, text) {
    const node = document.createElement("span");
    node.className = className;
    node.textContent = text;
    return node;
  }

  function paragraph(text, className) {
    const node = document.createElement("p");
    node.className = className || "";
    node.textContent = text;
    return node;
  }

  function selectedProductId() {
    const input = ui.products.querySelector("input[name=product]:checked");
    return input ? Number(input.value) : null;
  }

  const productById = (id) => (app.state ? app.state.products.find((p) => p.id === id) : null);

  function quantityValue() {
    const value = Number(ui.quantity.value);
    return Number.isInteger(value) ? value : NaN;
  }

  function renderTotal() {
    const product = productById(selectedProductId());
    const quantity = quantityValue();
    ui.total.textContent = product && quantity > 0 ? `${quantity} × ${vnd(product.price_vnd)} = ${vnd(quantity * product.price_vnd)}` : "";
  }

  const STATUS_TEXT = () => ({
    pending: S.status_pending, recorded: S.status_recorded, conflict: S.status_conflict,
    cancelled: S.status_cancelled, refused: S.status_refused,
  });

  function shownSales() {
    const day = today();
    return app.sales
      .filter((s) => (s.status === "pending" || (s.status === "refused" && !s.dismissed) || dayKey(new Date(s.sold_at)) === day))
      .filter((s) => !(s.status === "refused" && s.dismissed))
      .sort(bySoldAt)
      .reverse();
  }

  function renderSales() {
    const items = shownSales().map((sale) => {
      const item = document.createElement("li");
      item.className = `booth-sale is-${sale.status}`;
      item.dataset.saleId = sale.id;
      item.dataset.status = sale.status;
      const line = document.createElement("div");
      line.className = "booth-sale-line";
      line.append(
        span("booth-sale-time", clock.format(new Date(sale.sold_at))),
        span("booth-sale-what", `${sale.product_name} × ${sale.quantity}`),
        span("booth-sale-total", vnd(sale.total_vnd)),
        span("booth-sale-payment", sale.payment === "transfer" ? S.transfer : S.cash),
      );
      const status = span("booth-sale-status", STATUS_TEXT()[sale.status] || sale.status);
      status.dataset.saleStatus = sale.status;
      const actions = document.createElement("div");
      actions.className = "booth-sale-actions";
      actions.append(status);
      const reason = sale.reason || (sale.status === "conflict" ? S.conflict_reason : "");
      if (reason && sale.status !== "recorded") actions.append(span("booth-sale-reason", reason));
      const receipt = document.createElement("button");
      receipt.type = "button";
      receipt.className = "booth-link-button";
      receipt.dataset.receiptFor = sale.id;
      receipt.textContent = S.receipt;
      actions.append(receipt);
      if (sale.status === "refused") {
        const dismiss = document.createElement("button");
        dismiss.type = "button";
        dismiss.className = "booth-link-button";
        dismiss.dataset.dismiss = sale.id;
        dismiss.textContent = S.dismiss;
        actions.append(dismiss);
      }
      item.append(line, actions);
      return item;
    });
    ui.sales.replaceChildren(...items);
    ui.noSales.hidden = items.length > 0;
    renderTotals();
  }

  function renderTotals() {
    const state = app.state;
    const fresh = state && state.server_time && dayKey(new Date(state.server_time)) === today();
    const server = (fresh && state.today) || { count: 0, total_vnd: 0, cash_vnd: 0, transfer_vnd: 0 };
    const totals = { ...server };
    const day = today();
    for (const sale of pending()) {
      if (dayKey(new Date(sale.sold_at)) !== day) continue;
      totals.count += 1;
      totals.total_vnd += sale.total_vnd;
      totals[sale.payment === "transfer" ? "transfer_vnd" : "cash_vnd"] += sale.total_vnd;
    }
    for (const node of document.querySelectorAll("[data-total]")) {
      const key = node.dataset.total;
      node.textContent = key === "count" ? String(totals.count) : vnd(totals[key]);
      node.dataset.value = String(totals[key]);
    }
  }

  function render() {
    renderStatus();
    renderProducts();
    renderSales();
  }

  // --- recording a sale ------------------------------------------------------------------------

  let seq = Date.now();

  async function recordSale(event) {
    event.preventDefault();
    const product = productById(selectedProductId());
    const quantity = quantityValue();
    const payment = ui.form.querySelector("input[name=payment]:checked").value;
    if (!app.state || app.state.can_sell === false) return;
    if (!product) {
      ui.formMessage.textContent = S.choose_product;
      return;
    }
    if (!(quantity >= 1 && quantity <= 999)) {
      ui.quantity.focus();
      return;
    }
    const left = localStock(product);
    if (quantity > left) {
      ui.formMessage.textContent = fill(S.not_enough, { num: Math.max(left, 0) });
      return;
    }
    const sale = {
      id: newId(),
      booth_id: BOOTH,
      product_id: product.id,
      product_name: product.name,
      unit: product.unit,
      quantity,
      unit_price_vnd: product.price_vnd,
      total_vnd: product.price_vnd * quantity,
      payment,
      sold_at: isoNow(),
      seq: seq++,
      status: "pending",
      reason: "",
      sale_id: null,
    };
    await putSales([sale]);
    app.sales.push(sale);
    ui.quantity.value = "1";
    ui.formMessage.textContent = fill(S.recorded_here, { product: product.name, qty: quantity });
    render();
    if (isOnline()) sync();
  }

  // --- syncing ---------------------------------------------------------------------------------

  async function request(url, options) {
    try {
      const response = await fetch(url, { credentials: "same-origin", cache: "no-store", ...options });
      app.netFailed = false;
      return response;
    } catch (error) {
      app.netFailed = true;
      throw error;
    }
  }

  async function applyState(state) {
    app.state = state;
    app.syncedAt = new Date().toISOString();
    const serverTime = Date.parse(state.server_time || "");
    if (!Number.isNaN(serverTime)) clockOffsetMs = serverTime - Date.now();
    await saveState({ booth_id: BOOTH, state, synced_at: app.syncedAt, clock_offset_ms: clockOffsetMs });
  }

  // 401/403 stop the sync and say why; the queue stays.
  function refused(response) {
    if (response.status === 401) {
      app.signedOut = true;
      showMessage("");
      return true;
    }
    if (response.status === 403 || response.status === 404) {
      showMessage(S.forbidden);
      return true;
    }
    return false;
  }

  async function fetchState() {
    const response = await request(config.state_url, { headers: { Accept: "application/json" } });
    if (refused(response)) return false;
    if (!response.ok) throw new Error(`state ${response.status}`);
    app.signedOut = false;
    await applyState(await response.json());
    return true;
  }

  async function sendBatch(batch) {
    const body = JSON.stringify({
      sales: batch.map((s) => ({
        id: s.id, product_id: s.product_id, quantity: s.quantity, unit_price_vnd: s.unit_price_vnd,
        payment: s.payment, sold_at: s.sold_at,
      })),
    });
    return request(config.sync_url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": app.state.csrf_token || "" },
      body,
    });
  }

  async function applyResults(results) {
    const changed = [];
    for (const result of results || []) {
      const sale = app.sales.find((s) => s.id === result.id);
      if (!sale || !["recorded", "conflict", "cancelled", "refused"].includes(result.status)) continue;
      sale.status = result.status;
      sale.reason = result.reason || "";
      sale.sale_id = result.sale_id ?? null;
      sale.answered_at = isoNow();
      changed.push(sale);
    }
    if (changed.length) await putSales(changed);
  }

  async function sync() {
    if (app.syncing) {
      app.again = true;
      return;
    }
    app.syncing = true;
    renderStatus();
    try {
      // Queued sales first (oldest first), then today's conflicts to learn how the manager settled them.
      const day = today();
      const conflicts = app.sales.filter((s) => s.status === "conflict" && dayKey(new Date(s.sold_at)) === day);
      let queue = [...pending(), ...conflicts];
      let retriedToken = false;
      if (!queue.length || !app.state || !app.state.csrf_token) {
        if (!(await fetchState())) return;
      }
      while (queue.length) {
        const batch = queue.slice(0, BATCH);
        const response = await sendBatch(batch);
        if (refused(response)) return;
        if (response.status === 400 && !retriedToken) {
          // Most likely a stale CSRF token (a new session): take a fresh state and try once more.
          retriedToken = true;
          if (!(await fetchState())) return;
          continue;
        }
        if (!response.ok) throw new Error(`sync ${response.status}`);
        const answer = await response.json();
        await applyResults(answer.results);
        if (answer.state) await applyState(answer.state);
        app.signedOut = false;
        queue = queue.slice(batch.length);
      }
      showMessage("");
    } catch (error) {
      if (navigator.onLine && !app.netFailed) showMessage(S.sync_failed);
    } finally {
      app.syncing = false;
      render();
      if (app.again) {
        app.again = false;
        if (isOnline() && pending().length) sync();
      }
    }
  }

  // --- receipts --------------------------------------------------------------------------------

  function receiptMemo(sale) {
    return transferMemo(`${config.booth_number} ${sale.id.slice(0, 8).toUpperCase()}`);
  }

  function qrSvg(payload, label) {
    const code = window.qrcode(0, "M");
    code.addData(payload, "Byte");
    code.make();
    const count = code.getModuleCount();
    const border = 4;
    const size = count + border * 2;
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
    svg.setAttribute("class", "vietqr-code");
    const background = document.createElementNS(ns, "rect");
    background.setAttribute("width", String(size));
    background.setAttribute("height", String(size));
    background.setAttribute("fill", "#fff");
    let d = "";
    for (let row = 0; row < count; row++) {
      for (let col = 0; col < count; col++) {
        if (code.isDark(row, col)) d += `M${col + border} ${row + border}h1v1h-1z`;
      }
    }
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    path.setAttribute("fill", "#000");
    svg.append(background, path);
    svg.dataset.payload = payload;
    return svg;
  }

  function showReceipt(id) {
    const sale = app.sales.find((s) => s.id === id);
    if (!sale) return;
    const booth = (app.state && app.state.booth) || {};
    const values = {
      cooperative: booth.cooperative ? booth.cooperative.name : "",
      booth: booth.number || config.booth_number,
      fair: booth.fair ? booth.fair.name : "",
      product: sale.product_name,
      quantity: `${sale.quantity} ${sale.unit || ""}`.trim(),
      price: vnd(sale.unit_price_vnd),
      total: vnd(sale.total_vnd),
      time: stamp.format(new Date(sale.sold_at)),
      payment: sale.payment === "transfer" ? S.transfer : S.cash,
      status: STATUS_TEXT()[sale.status] || sale.status,
    };
    const bank = app.state && app.state.bank;
    const transfer = sale.payment === "transfer" && bank && bank.bin && bank.account_number;
    const qrBox = ui.receipt.querySelector("[data-receipt-qr]");
    qrBox.replaceChildren();
    if (transfer) {
      const memo = receiptMemo(sale);
      Object.assign(values, {
        bank: bank.bank_name || bank.bin, account_number: bank.account_number, account_name: bank.account_name || "", memo,
      });
      const payload = vietqrPayload(bank.bin, bank.account_number, sale.total_vnd, memo);
      if (typeof window.qrcode === "function") qrBox.append(qrSvg(payload, fill(S.qr_label, { amount: vnd(sale.total_vnd) })));
    }
    for (const node of ui.receipt.querySelectorAll("[data-receipt-field]")) {
      node.textContent = values[node.dataset.receiptField] || "";
    }
    ui.receipt.querySelector("[data-receipt-transfer]").hidden = !transfer;
    ui.receipt.querySelector("[data-receipt-no-bank]").hidden = !(sale.payment === "transfer" && !transfer);
    ui.receipt.dataset.saleId = sale.id;
    if (typeof ui.receipt.showModal === "function") ui.receipt.showModal();
    else ui.receipt.setAttribute("open", "");
  }

  // --- wiring ------------------------------------------------------------------------------------

  ui.form.addEventListener("submit", recordSale);
  ui.form.addEventListener("change", (event) => {
    if (event.target.name === "product") ui.formMessage.textContent = "";
    renderTotal();
  });
  ui.quantity.addEventListener("input", renderTotal);
  for (const button of ui.form.querySelectorAll("[data-step]")) {
    button.addEventListener("click", () => {
      const next = (quantityValue() || 1) + Number(button.dataset.step);
      ui.quantity.value = String(Math.min(Math.max(next, 1), 999));
      renderTotal();
    });
  }
  ui.search.addEventListener("input", renderProducts);
  ui.syncNow.addEventListener("click", () => sync());
  ui.sales.addEventListener("click", async (event) => {
    const receipt = event.target.closest("[data-receipt-for]");
    if (receipt) showReceipt(receipt.dataset.receiptFor);
    const dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) {
      const sale = app.sales.find((s) => s.id === dismiss.dataset.dismiss);
      if (sale) {
        sale.dismissed = true;
        await putSales([sale]);
        renderSales();
      }
    }
  });
  window.addEventListener("online", () => {
    app.netFailed = false;
    renderStatus();
    sync();
  });
  window.addEventListener("offline", renderStatus);
  setInterval(() => {
    if (navigator.onLine) sync();
  }, SYNC_EVERY_MS);

  async function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    try {
      await navigator.serviceWorker.register(config.sw_url, { scope: config.scope });
      const registration = await navigator.serviceWorker.ready;
      // Keep this page for offline use (the worker may have been installed from another booth's page).
      if (navigator.onLine && registration.active) {
        await new Promise((resolve) => {
          const done = (event) => {
            if (event.data && event.data.path === config.page_url) {
              navigator.serviceWorker.removeEventListener("message", done);
              resolve();
            }
          };
          navigator.serviceWorker.addEventListener("message", done);
          registration.active.postMessage({ type: "cache-page", path: config.page_url });
          setTimeout(resolve, 10000);
        });
      }
      document.documentElement.dataset.offlineReady = "yes";
    } catch (error) {
      /* no offline page: the app still works while this tab stays open */
    }
  }

  async function start() {
    try {
      const stored = await loadState();
      if (stored) {
        app.state = stored.state;
        app.syncedAt = stored.synced_at;
        clockOffsetMs = stored.clock_offset_ms || 0;
      }
      app.sales = await loadSales();
    } catch (error) {
      showMessage(String(error));
    }
    render();
    document.documentElement.dataset.appReady = "yes";
    if (navigator.onLine) await sync();
    registerWorker();
  }

  start();
})();
