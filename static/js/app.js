// Filon's own script: loaded from a file (the CSP forbids inline script), no eval.
"use strict";
// The phone layout hides the menu behind a button only when this script runs;
// without JavaScript the menu simply stays open.
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", function () {
  var toggle = document.querySelector(".nav-toggle");
  var nav = document.getElementById("main-nav");
  if (toggle && nav) {
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", String(!open));
      nav.classList.toggle("open", !open);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        toggle.setAttribute("aria-expanded", "false");
        nav.classList.remove("open");
        toggle.focus();
      }
    });
  }
});

// A request that never reached the server (flaky network at a trade show): say so,
// rather than leaving the user waiting on a click that did nothing.
document.addEventListener("htmx:sendError", function () {
  var messages = document.getElementById("messages");
  if (!messages) return;
  var p = document.createElement("p");
  p.className = "flash flash-error";
  // The text comes translated from the layout (gettext), like every other string.
  p.textContent = document.body.dataset.networkError;
  messages.replaceChildren(p);
});

// "Tick every lead of this page": a header checkbox ticks the rows' boxes of the same name.
// Delegated, so it keeps working after htmx swaps the list.
document.addEventListener("change", function (event) {
  var all = event.target;
  if (!all.matches || !all.matches("input[data-select-all]")) return;
  var table = all.closest("table");
  if (!table) return;
  table.querySelectorAll('input[type="checkbox"][name="' + all.getAttribute("data-select-all") + '"]')
    .forEach(function (box) { box.checked = all.checked; });
});
