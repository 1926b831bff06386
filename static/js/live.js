// Live updates: htmx's websocket extension (hx-ws, served by django-htmx) keeps the socket of
// <div hx-ext="ws" ws-connect="/ws/..." data-heartbeat="15"> and swaps each HTML message's
// elements into the page by id. What is ours, on top of it:
// - the reconnect back-off: capped at a few seconds, with jitter (a hall of screens does not
//   reconnect in step after an outage), after any close the server did not mean as final;
// - the heartbeat: the server sends one through the channel layer every data-heartbeat seconds;
//   a screen that hears nothing for two and a half beats takes its socket for dead;
// - the mark ([data-live-mark], or one added) while down or silent, and with data-stale-text
//   ("... {time}") since when the screen may be showing old data;
// - the order check: a fragment whose htmx request is in flight (a doctor's action) is held
//   until the response has swapped, and an older [data-rendered] never replaces a newer one;
//   each swapped element then gets "live:swapped";
// - a JSON note fires "queue-changed-<doctor id>" on <body> (or "queue-changed" when it names
//   no doctor) for panels with hx-trigger="queue-changed-<id> from:body"; its "notes" become
//   desk notices;
// - close code 4403 (no longer allowed, e.g. a revoked board key), or a failed handshake whose
//   page now answers 4xx: reload, so the page says why.
(function () {
  "use strict";
  var source = document.querySelector("[ws-connect]");
  if (!source || !window.htmx) return;
  var MAX_DELAY_MS = 4000;
  var FINAL = 4403;
  var RETRIED_BY_HTMX = [1006, 1011, 1012, 1013];  // the close codes hx-ws reconnects after
  var beatMs = (parseFloat(source.dataset.heartbeat) || 0) * 1000;
  var socket = null, wrapper = null, opened = false, everOpened = false;
  var lastHeard = Date.now(), stale = false;

  htmx.config.wsReconnectDelay = function (retries) {
    var delay = Math.min(MAX_DELAY_MS, 250 * Math.pow(2, Math.min(retries + 1, 5)));
    return delay / 2 + Math.random() * delay / 2;
  };

  // --- the mark ---------------------------------------------------------------------------

  function mark() {
    var el = document.querySelector("[data-live-mark]");
    if (!el) {
      el = document.createElement("div");
      el.setAttribute("data-live-mark", "");
      el.className = "live-mark live-mark-floating";
      el.setAttribute("role", "status");
      el.textContent = "Reconnecting…";
      el.hidden = true;
      document.body.appendChild(el);
    }
    return el;
  }
  function clockTime(ms) {
    return new Date(ms).toLocaleTimeString(document.documentElement.lang === "hi" ? "hi-IN" : "en-IN",
      { hour: "2-digit", minute: "2-digit", timeZone: mark().dataset.timeZone || undefined });
  }
  function setStale(isStale) {
    stale = isStale;
    var el = mark();
    if (isStale && el.dataset.staleText) el.textContent = el.dataset.staleText.replace("{time}", clockTime(lastHeard));
    el.hidden = !isStale;
    document.documentElement.dataset.stale = isStale ? "1" : "0";
  }
  function setConnected(ok) {
    setStale(!ok);
    document.documentElement.dataset.live = ok ? "open" : "down";
  }
  function heard() {
    lastHeard = Date.now();
    if (stale && socket && socket.readyState === WebSocket.OPEN) setStale(false);
  }

  // --- the socket's life ------------------------------------------------------------------

  source.addEventListener("htmx:wsOpen", function (event) {
    socket = event.detail.event.target;
    wrapper = event.detail.socketWrapper;
    opened = everOpened = true;
    lastHeard = Date.now();
    setConnected(true);
  });

  source.addEventListener("htmx:wsClose", function (event) {
    var code = event.detail.event.code, wasOpen = opened;
    wrapper = event.detail.socketWrapper || wrapper;
    socket = null;
    opened = false;
    setConnected(false);
    if (code === FINAL) { location.reload(); return; }
    if (!wasOpen && everOpened) {  // a refused handshake: is this page still ours to show?
      pageStillAllowed().then(function (ok) { if (!ok) location.reload(); });
    }
    if (RETRIED_BY_HTMX.indexOf(code) < 0 && wrapper) {  // e.g. 1000/1001 from a server going down
      reconnectAfter(htmx.config.wsReconnectDelay(0));
    }
  });

  function pageStillAllowed() {
    return fetch(location.href, { method: "HEAD", credentials: "same-origin", redirect: "manual" })
      .then(function (r) { return r.ok; })
      .catch(function () { return true; });  // server down: keep trying
  }

  if (beatMs > 0) {
    setInterval(function () {
      if (!socket || socket.readyState !== WebSocket.OPEN || Date.now() - lastHeard <= beatMs * 2.5) return;
      // Half-dead (the server cannot reach us through the channel layer): drop this socket
      // without waiting for a close handshake that may never come, and open another.
      var dead = socket;
      socket = null;
      opened = false;
      dead.onclose = null;  // hx-ws's own handler would reconnect a second time when it closes
      try { dead.close(); } catch (e) { /* already closing */ }
      setConnected(false);
      reconnectAfter(htmx.config.wsReconnectDelay(1));
    }, 1000);
  }

  // A new socket through hx-ws's own wrapper, unless one has opened meanwhile.
  function reconnectAfter(ms) {
    setTimeout(function () { if (!socket && wrapper) wrapper.reconnect(); }, ms);
  }

  window.addEventListener("online", function () { reconnectAfter(0); });

  // --- messages ---------------------------------------------------------------------------

  var fromSocket = false;  // true while hx-ws swaps a message (and not an htmx response)
  var swapped = [];        // ids swapped by the message
  var held = {};           // id -> HTML held while the element's htmx request is in flight

  function busy(el) {
    return el.classList.contains("htmx-request") || !!el.querySelector(".htmx-request");
  }
  function older(fresh, old) {
    var a = parseFloat(fresh.getAttribute("data-rendered")), b = parseFloat(old.getAttribute("data-rendered"));
    return !isNaN(a) && !isNaN(b) && a < b;
  }

  source.addEventListener("htmx:wsBeforeMessage", function (event) {
    var data = event.detail.message;
    heard();
    if (typeof data === "string" && data.trim().charAt(0) === "<") {
      fromSocket = true;
      swapped = [];
      return;
    }
    event.preventDefault();  // a JSON note, not HTML to swap
    onNote(data);
  });

  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    if (!fromSocket) return;
    var old = event.detail.target, fresh = event.detail.fragment.firstElementChild;
    if (!fresh) return;
    if (busy(old)) {
      // htmx would find its request's element detached and drop the response's out-of-band
      // parts (the action's confirmation): swap this once the response is in.
      held[old.id] = fresh.outerHTML;
      event.detail.shouldSwap = false;
    } else if (older(fresh, old)) {
      event.detail.shouldSwap = false;
    } else {
      swapped.push(old.id);
    }
  });

  source.addEventListener("htmx:wsAfterMessage", announceSwapped);

  function announceSwapped() {
    fromSocket = false;
    swapped.splice(0).forEach(function (id) {
      var el = document.getElementById(id);
      if (el) el.dispatchEvent(new CustomEvent("live:swapped", { bubbles: true, detail: { id: id } }));
    });
  }

  document.addEventListener("htmx:afterRequest", function () {
    setTimeout(function () {  // after htmx has swapped and settled the response
      var ids = Object.keys(held);
      if (!ids.length) return;
      var tpl = document.createElement("template");
      tpl.innerHTML = ids.map(function (id) { return held[id]; }).join("");
      held = {};
      Array.prototype.forEach.call(tpl.content.children, function (el) { el.setAttribute("hx-swap-oob", "true"); });
      fromSocket = true;
      swapped = [];
      try { htmx.swap(document.body, tpl.innerHTML, { swapStyle: "none" }); } finally { announceSwapped(); }
    }, 0);
  });

  function onNote(text) {
    var note = {};
    try { note = JSON.parse(text) || {}; } catch (e) { note = {}; }
    if (note.event === "heartbeat") return;
    htmx.trigger(document.body, note.doctor_id ? "queue-changed-" + note.doctor_id : "queue-changed", note);
    (note.notes || []).forEach(function (message) {
      htmx.trigger(document.body, "desk-notice", { message: message, level: "info" });
    });
  }
})();
