// Small page behaviours declared in the markup, instead of inline handlers (the
// Content-Security-Policy runs no inline script): data-print prints the page, data-confirm asks
// before a button submits its form, data-select-on-click selects a read-only field's text.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    if (target.closest("[data-print]")) {
      window.print();
      return;
    }
    var confirming = target.closest("[data-confirm]");
    if (confirming && !window.confirm(confirming.getAttribute("data-confirm"))) {
      event.preventDefault();
      return;
    }
    var selecting = target.closest("[data-select-on-click]");
    if (selecting && selecting.select) selecting.select();
  });
})();
