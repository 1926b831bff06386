// Slip: P or the button prints; opened with ?print=1 it prints at once.
(function () {
  document.getElementById("print").addEventListener("click", function () { window.print(); });
  document.addEventListener("keydown", function (e) {
    if ((e.key === "p" || e.key === "P") && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      window.print();
    }
  });
  if (document.body.hasAttribute("data-autoprint")) {
    window.addEventListener("load", function () { window.print(); });
  }
})();
