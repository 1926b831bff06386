// Reception desk: keyboard flow and the dialog. The page works without this file; it makes
// the walk-in flow mouse-free: / search, arrows + Enter pick, 1-9 category, Enter books, P prints.
(function () {
  "use strict";
  var dialog = document.getElementById("desk-dialog");
  var status = document.getElementById("desk-status");
  var search = function () { return document.getElementById("q"); };

  function typing(el) {
    if (!el) return false;
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable) return true;
    return el.tagName === "INPUT" && !/^(radio|checkbox|button|submit)$/.test(el.type);
  }

  function results() {
    return Array.prototype.slice.call(document.querySelectorAll("#patient-results .patient-result"));
  }

  function focusSearch() {
    var q = search();
    if (dialog && dialog.open) dialog.close();
    if (q) { q.focus(); q.select(); }
  }

  function clearSearch() {
    var q = search();
    var box = document.getElementById("patient-results");
    if (q) q.value = "";
    if (box) box.innerHTML = "";
  }

  function notify(message, level) {
    if (!status) return;
    status.textContent = message;
    status.className = "desk-toast show alert alert-" + (level === "danger" ? "danger" : level === "info" ? "info" : "success");
    clearTimeout(notify.timer);
    notify.timer = setTimeout(function () { status.className = "desk-toast"; }, 6000);
  }

  document.addEventListener("keydown", function (e) {
    var el = document.activeElement;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    // Arrows from the search box into the results, and between results.
    var list = results();
    var at = list.indexOf(el);
    if (e.key === "ArrowDown" && (el === search() || at >= 0) && list.length) {
      e.preventDefault();
      list[Math.min(at + 1, list.length - 1)].focus();
      return;
    }
    if (e.key === "ArrowUp" && at >= 0) {
      e.preventDefault();
      (at === 0 ? search() : list[at - 1]).focus();
      return;
    }
    if (e.key === "Escape" && at >= 0) { e.preventDefault(); focusSearch(); return; }
    // Enter books from any control of the booking form (selects and radios do not submit).
    var form = document.getElementById("book-form");
    if (e.key === "Enter" && form && form.contains(el) && (el.tagName === "SELECT" || el.type === "radio")) {
      e.preventDefault();
      form.requestSubmit(document.getElementById("book-button"));
      return;
    }
    // 1-9 pick the category, also from the doctor list (where the focus lands after choosing a
    // patient: doctor names never start with a digit); not from the slot list, whose times do.
    var onDoctor = form && form.contains(el) && el.tagName === "SELECT" && el.name === "doctor";
    if (form && /^[1-9]$/.test(e.key) && (onDoctor || !typing(el)) && !(dialog && dialog.open)) {
      var radio = form.querySelector('input[name=category][data-key="' + e.key + '"]');
      if (radio) { e.preventDefault(); radio.checked = true; radio.focus(); }
      return;
    }
    if (typing(el) || (dialog && dialog.open)) return;
    if (e.key === "/") { e.preventDefault(); focusSearch(); return; }
    if (e.key === "p" || e.key === "P") {
      var slip = document.getElementById("print-slip");
      if (slip) { e.preventDefault(); slip.click(); }
    }
  });

  // After a fragment arrives: put the focus where the next keystroke belongs.
  document.body.addEventListener("htmx:afterSettle", function (e) {
    var id = e.detail.target && e.detail.target.id;
    var target = id && document.getElementById(id);  // after an outerHTML swap: the new element
    if (!target) return;
    if (id === "book-panel") {
      var next = target.querySelector("#print-slip") || target.querySelector("[data-autofocus]");
      if (target.querySelector("#book-form") && !target.querySelector("#booking-refused")) clearSearch();
      if (next) next.focus();
    } else if (id === "desk-dialog-body" && dialog && e.detail.xhr && e.detail.xhr.responseText) {
      if (!dialog.open) dialog.showModal();
      var first = target.querySelector("[autofocus]");
      if (first) first.focus();
    }
  });

  document.body.addEventListener("booked", function () {
    if (dialog && dialog.open) dialog.close();
    clearSearch();
  });

  document.body.addEventListener("desk-notice", function (e) {
    var detail = e.detail || {};
    if (dialog && dialog.open && detail.level !== "danger") dialog.close();
    notify(detail.message || "", detail.level);
  });

  document.addEventListener("click", function (e) {
    var closer = e.target.closest("[data-close-dialog]");
    if (closer && dialog && dialog.open) {
      if (!closer.hasAttribute("hx-get")) e.preventDefault();
      dialog.close();
    }
    var change = e.target.closest("[data-focus-search]");
    if (change) { e.preventDefault(); focusSearch(); }
  });
})();
