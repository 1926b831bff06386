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
    // htmx binds swapped-in forms only when they settle (~20 ms): a quick key press before that
    // would post the form natively and reload the page. Bind now (htmx ignores a second bind).
    if (window.htmx && button.form) window.htmx.process(button.form);
    button.click();
  });
})();
