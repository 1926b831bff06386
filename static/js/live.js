// Live updates over a websocket: <script src="live.js" data-socket="/ws/..."> on any page.
// - Connects to data-socket; reconnects by itself with exponential backoff capped at a few
//   seconds (with jitter, so a hall of screens does not reconnect in step after an outage).
// - The server sends a heartbeat through the channel layer every data-heartbeat seconds: a
//   screen that hears nothing for two and a half beats takes its socket for dead and reconnects.
// - Shows a mark ([data-live-mark], or one it adds) while down or after a missed heartbeat; with
//   data-stale-text ("... {time}") it says since when the screen may be showing old data.
// - An HTML message replaces the elements with the same ids (server-rendered fragments),
//   then fires "live:swapped" on each (not under an htmx request in flight, nor with an older
//   [data-rendered]: see `held`); a JSON note fires "queue-changed-<doctor id>" on <body>
//   (or "queue-changed" when it names no doctor) so panels with
//   hx-trigger="queue-changed-<id> from:body" refresh, and its "notes" become desk notices.
// - Close code 4403 (no longer allowed, e.g. a revoked board key) or a failed handshake
//   whose page now answers 4xx: reload, so the page says why.
(function () {
  "use strict";
  var script = document.currentScript;
  var path = script && script.dataset.socket;
  if (!path) return;
  var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  var attempt = 0, socket = null, timer = null, everOpened = false;
  var MAX_DELAY_MS = 4000;
  var beatMs = (parseFloat(script.dataset.heartbeat) || 0) * 1000;
  var lastHeard = Date.now();  // when the screen last had word from the server
  var stale = false;

  function mark() {
    var el = document.querySelector("[data-live-mark]");
    if (!el) {
      el = document.createElement("div");
      el.setAttribute("data-live-mark", "");
      el.className = "live-mark live-mark-floating";
      el.setAttribute("role", "status");
      el.textContent = "Reconnecting…";
      el.style.cssText = "position:fixed;right:1rem;bottom:1rem;z-index:1080;background:#ffc107;color:#000;" +
        "border-radius:1rem;padding:.1rem .7rem;font-size:.85rem";
      el.hidden = true;
      document.body.appendChild(el);
    }
    return el;
  }
  function clockTime(ms) {
    var el = mark();
    return new Date(ms).toLocaleTimeString(document.documentElement.lang === "hi" ? "hi-IN" : "en-IN",
      { hour: "2-digit", minute: "2-digit", timeZone: el.dataset.timeZone || undefined });
  }
  // Down, or up but silent past a heartbeat: what the screen shows may be old.
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
  if (beatMs > 0) {
    setInterval(function () {
      if (!socket || socket.readyState !== WebSocket.OPEN) return;
      if (Date.now() - lastHeard > beatMs * 2.5) {
        // Half-dead (the server cannot reach us through the channel layer): drop this socket
        // without waiting for a close handshake that may never come, and start again.
        var dead = socket;
        socket = null;
        dead.onclose = dead.onmessage = null;
        try { dead.close(); } catch (e) { /* already closing */ }
        setConnected(false);
        schedule();
      }
    }, 1000);
  }

  // A fragment whose htmx request is still in flight (a doctor's action) is not replaced under it:
  // htmx would then find the request's element detached and drop the response's out-of-band parts
  // (the action's confirmation). The push waits for the response, and is applied only if it is
  // newer ([data-rendered], seconds since the epoch when the server rendered it).
  var held = {};

  function busy(el) {
    return el.classList.contains("htmx-request") || !!el.querySelector(".htmx-request");
  }
  function older(fresh, old) {
    var a = parseFloat(fresh.getAttribute("data-rendered")), b = parseFloat(old.getAttribute("data-rendered"));
    return !isNaN(a) && !isNaN(b) && a < b;
  }
  document.addEventListener("htmx:afterRequest", function () {
    setTimeout(function () {  // after htmx has swapped and settled the response
      var ids = Object.keys(held);
      if (!ids.length) return;
      var html = ids.map(function (id) { return held[id]; }).join("");
      held = {};
      swapFragments(html);
    }, 0);
  });

  function swapFragments(html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html;
    var swapped = [];
    Array.prototype.slice.call(tpl.content.children).forEach(function (fresh) {
      var old = fresh.id && document.getElementById(fresh.id);
      if (!old) return;
      if (busy(old)) { held[fresh.id] = fresh.outerHTML; return; }
      if (older(fresh, old)) return;
      fresh.removeAttribute("hx-swap-oob");
      old.replaceWith(fresh);
      if (window.htmx) window.htmx.process(fresh);
      swapped.push(fresh);
    });
    swapped.forEach(function (el) {
      el.dispatchEvent(new CustomEvent("live:swapped", { bubbles: true, detail: { id: el.id } }));
    });
  }

  function fire(name, detail) {
    if (window.htmx) window.htmx.trigger(document.body, name, detail || {});
    else document.body.dispatchEvent(new CustomEvent(name, { bubbles: true, detail: detail || {} }));
  }

  // A JSON note says which doctor changed: panels showing that doctor listen for
  // "queue-changed-<doctor id>"; a note without a doctor (a reconnect) refreshes every panel.
  function onNote(text) {
    var note = {};
    try { note = JSON.parse(text) || {}; } catch (e) { note = {}; }
    if (note.event === "heartbeat") return;
    if (note.doctor_id) fire("queue-changed-" + note.doctor_id, note);
    else fire("queue-changed", note);
    (note.notes || []).forEach(function (message) { fire("desk-notice", { message: message, level: "info" }); });
  }

  function onMessage(event) {
    var data = event.data;
    heard();
    if (typeof data === "string" && data.trim().charAt(0) === "<") swapFragments(data);
    else onNote(data);
  }

  function pageStillAllowed() {
    return fetch(location.href, { method: "HEAD", credentials: "same-origin", redirect: "manual" })
      .then(function (r) { return r.ok; })
      .catch(function () { return true; });  // server down: keep trying
  }

  function schedule() {
    if (timer) return;
    attempt += 1;
    var delay = Math.min(MAX_DELAY_MS, 250 * Math.pow(2, Math.min(attempt, 5)));
    delay = delay / 2 + Math.random() * delay / 2;
    timer = setTimeout(function () { timer = null; connect(); }, delay);
  }

  function connect() {
    var opened = false;
    try {
      socket = new WebSocket(url);
    } catch (e) {
      setConnected(false);
      schedule();
      return;
    }
    socket.onopen = function () { opened = everOpened = true; attempt = 0; lastHeard = Date.now(); setConnected(true); };
    socket.onmessage = onMessage;
    socket.onclose = function (event) {
      socket = null;
      setConnected(false);
      if (event.code === 4403) { location.reload(); return; }
      if (!opened && everOpened && attempt > 0) {
        pageStillAllowed().then(function (ok) { if (ok) schedule(); else location.reload(); });
        return;
      }
      schedule();
    };
  }

  window.addEventListener("online", function () { if (!socket) { clearTimeout(timer); timer = null; connect(); } });
  connect();
})();
