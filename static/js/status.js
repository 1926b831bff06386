// A patient's status page: the body is replaced by what the server pushes over the websocket;
// while the socket is down it is polled instead, and marked out of date if neither answers.
(function () {
  "use strict";
  var main = document.getElementById("status");
  var stale = document.getElementById("stale");
  if (!main || !("WebSocket" in window)) return;
  var STALE_MS = 45000, POLL_MS = 20000;
  var socket = null, open = false, fresh = Date.now(), retry = 1000, pollTimer = null;

  function show(html) {
    main.innerHTML = html;
    fresh = Date.now();
    stale.hidden = true;
  }

  function poll() {
    fetch(main.dataset.poll, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.status === 410) { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) { if (html) show(html); })
      .catch(function () {});
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + main.dataset.ws);
    socket.onopen = function () {
      open = true;
      retry = 1000;
      document.documentElement.dataset.live = "open";
      if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
    };
    socket.onmessage = function (e) { show(e.data); };
    socket.onclose = function (e) {
      open = false;
      document.documentElement.dataset.live = "closed";
      if (e.code === 4410) { window.location.reload(); return; }
      if (!pollTimer) { poll(); pollTimer = setInterval(poll, POLL_MS); }
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 60000);
    };
  }

  setInterval(function () {
    if (!open && Date.now() - fresh > STALE_MS) stale.hidden = false;
  }, 5000);
  connect();
})();
