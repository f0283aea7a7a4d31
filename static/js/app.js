/* The registry's only script besides htmx. No inline scripts or handlers anywhere (CSP). */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    document.documentElement.classList.add("js");
    // Selects that submit their form on change (the organisation switcher); a button stays for no-JS use.
    document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit(); });
    });
  });
  // Print buttons (evidence records).
  document.addEventListener("click", function (ev) {
    var t = ev.target.closest("[data-print]");
    if (t) { ev.preventDefault(); window.print(); }
  });
  // Forms that ask before doing something hard to undo.
  document.addEventListener("submit", function (ev) {
    var msg = ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { ev.preventDefault(); }
  }, true);
})();
