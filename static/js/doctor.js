// The doctor's page: keyboard shortcuts N (call next), C (complete), R (recall), S (skip),
// X (no-show) press the button marked data-key; never while typing in a field.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var t = event.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    var button = document.querySelector('#doctor-queue [data-key="' + event.key.toLowerCase() + '"]');
    if (!button || button.disabled) return;
    event.preventDefault();
    button.click();
  });
})();
