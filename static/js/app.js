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
    menu();
    document.querySelectorAll("form.filters").forEach(filtersPanel);
    cards(document);
    scrollables(document);
  });
  // Every other table of a page with one header row becomes cards on a narrow screen too: each cell is labelled
  // with its column's header (templates may set data-label and card-title/card-first themselves: table.cards).
  // Tables with row headers, role=presentation or data-no-cards keep their grid and scroll sideways.
  function cards(root) {
    root.querySelectorAll("main table:not(.cards):not([data-no-cards]):not([role=presentation])").forEach(function (table) {
      var head = table.tHead;
      if (!head || head.rows.length !== 1 || table.querySelector("tbody th")) { return; }
      var labels = Array.prototype.map.call(head.rows[0].cells, function (th) { return th.textContent.trim(); });
      if (labels.length < 3) { return; }
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          if (row.cells.length === 1) { return; }  // "nothing yet" rows
          var at = 0;
          Array.prototype.forEach.call(row.cells, function (cell, i) {
            if (i === 0) { cell.classList.add("card-title"); } else if (labels[at] && !cell.hasAttribute("data-label")) { cell.setAttribute("data-label", labels[at]); }
            at += cell.colSpan || 1;
          });
        });
      });
      table.classList.add("cards");
    });
  }
  // Narrow screens: the navigation and account controls fold behind the "Menu" button (CSS decides when).
  function menu() {
    var button = document.querySelector(".menu-toggle");
    var target = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!target) { return; }
    function set(open) {
      target.classList.toggle("open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.addEventListener("click", function () { set(button.getAttribute("aria-expanded") !== "true"); });
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && button.getAttribute("aria-expanded") === "true") { set(false); button.focus(); }
    });
  }
  // Narrow screens: a filter form folds behind a "Filters (n active)" button placed before it.
  function filtersPanel(form, i) {
    var fields = form.querySelectorAll("input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea");
    if (fields.length < 3) { return; }  // one or two fields take less room than the button would save
    if (!form.id) { form.id = "filters-" + (i + 1); }
    form.classList.add("foldable");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "filters-toggle secondary";
    button.setAttribute("aria-controls", form.id);
    button.setAttribute("aria-expanded", "false");
    function active() {
      var n = 0;
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.type === "hidden" || el.type === "submit" || el.type === "button") { return; }
        if (el.type === "checkbox" || el.type === "radio" ? el.checked : el.tagName === "SELECT" ? el.selectedIndex > 0 : el.value !== "") { n += 1; }
      });
      return n;
    }
    function label() {
      var n = active();
      button.textContent = n ? "Filters (" + n + " active)" : "Filters";
    }
    label();
    form.addEventListener("change", label);
    form.addEventListener("input", label);
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      form.classList.toggle("open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
    form.parentNode.insertBefore(button, form);
  }
  // A wrapper that scrolls sideways (a wide table or graph on a phone) is focusable, so the keyboard can scroll it.
  function scrollables(root) {
    root.querySelectorAll(".table-wrap, .graph-wrap, main table").forEach(function (el) {
      if (el.hasAttribute("tabindex") && !el.hasAttribute("data-scroll-focus")) { return; }
      var scrolls = el.scrollWidth > el.clientWidth + 1;
      el.toggleAttribute("data-scroll-focus", scrolls);
      if (scrolls) { el.setAttribute("tabindex", "0"); } else { el.removeAttribute("tabindex"); }
    });
  }
  window.addEventListener("resize", function () { scrollables(document); });
  document.addEventListener("htmx:afterSettle", function (ev) {
    var root = ev.target.parentNode || document;
    cards(root);
    scrollables(root);
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
