// The Kanban boards (templates/leads/board.html, templates/opportunities/board.html): drag a card
// into another column to change its status or stage. Loaded from a file (the CSP forbids inline
// script); no inline styles of ours.
//
// What a drop posts comes from the markup: the board's data-move-field names the field (default
// "status") and each list's data-move-value (or data-status-id) its value; the board's
// data-move-values (JSON) adds the filters (default: the lead board's data-owner). Lists of one
// board share its data-sortable-group. A list marked data-lost first asks the loss reason in the
// <dialog> the board's data-loss-dialog names; so does a card's Move form for a data-lost option.
"use strict";

(function () {
  function moveValues(board, list) {
    var values = {};
    if (board && board.dataset.moveValues) {
      values = JSON.parse(board.dataset.moveValues);
    } else {
      values.owner = board ? board.dataset.owner || "" : "";
    }
    var field = (board && board.dataset.moveField) || "status";
    values[field] = list.dataset.moveValue || list.dataset.statusId;
    return values;
  }

  // Ask the loss reason in the board's dialog; `done` gets the reason, or null when cancelled
  // (Cancel, Escape). One question at a time: `pendingReason` is the open question's callback,
  // answered once. The confirm button's submit answers it at once (method="dialog" then closes
  // the dialog); any other way the dialog closes answers null.
  var pendingReason = null;
  var wiredDialogs = [];

  function answerReason(value) {
    var done = pendingReason;
    pendingReason = null;
    if (done) done(value);
  }

  function wire(dialog) {
    if (wiredDialogs.indexOf(dialog) !== -1) return;
    wiredDialogs.push(dialog);
    var select = dialog.querySelector("select");
    dialog.querySelector("form").addEventListener("submit", function (event) {
      if (event.submitter && event.submitter.value === "confirm" && select.value) answerReason(select.value);
    });
    dialog.addEventListener("close", function () { answerReason(null); });
  }

  function askLossReason(board, card, done) {
    var dialog = board && document.getElementById(board.dataset.lossDialog || "");
    if (!dialog || !dialog.showModal) {
      done(""); // no dialog: the server refuses the move and says why
      return;
    }
    // Already asking: a second request for the same answer must not reset the reason the
    // user is choosing; the first request gets the answer.
    if (dialog.open) return;
    wire(dialog);
    var select = dialog.querySelector("select");
    var name = card.querySelector(".board-card-name");
    select.value = "";
    dialog.querySelector("[data-deal-name]").textContent = name ? name.textContent : "";
    pendingReason = done;
    dialog.showModal();
    select.focus();
  }

  // A drop asks the server; the card waits where it was dropped. On success the answer deletes
  // it there and puts it back at the top of its column with the new counts (out of band). On
  // refusal the reason goes to #messages (crm/errors.py) and the card returns where it was.
  function save(event) {
    var card = event.item;
    // SortableJS leaves an empty style attribute behind. htmx copies the attributes of the card
    // it replaces onto the new one while settling, and a copied style attribute is an inline
    // style that the CSP refuses; removing an attribute is allowed.
    card.removeAttribute("style");
    if (event.to === event.from) return;
    var from = event.from;
    var to = event.to;
    var oldIndex = event.oldIndex;
    var board = card.closest(".board");
    card.classList.add("is-saving");
    card.setAttribute("aria-busy", "true");

    function putBack() {
      from.insertBefore(card, from.children[oldIndex] || null);
    }

    // Clear the waiting state before the swap (htmx copies the old card's attributes onto
    // its replacement while settling), and after a request that failed to get an answer.
    function answered(htmxEvent) {
      if (htmxEvent.detail.elt !== card) return; // a request of the card's own Move form
      card.classList.remove("is-saving");
      card.removeAttribute("aria-busy");
      if (htmxEvent.type !== "htmx:afterRequest") return;
      card.removeEventListener("htmx:beforeOnLoad", answered);
      card.removeEventListener("htmx:afterRequest", answered);
      if (!htmxEvent.detail.successful) putBack();
    }

    function post(extra) {
      var values = moveValues(board, to);
      Object.keys(extra).forEach(function (key) { values[key] = extra[key]; });
      card.addEventListener("htmx:beforeOnLoad", answered);
      card.addEventListener("htmx:afterRequest", answered);
      // The card as source: htmx then inherits the body's hx-headers, the CSRF token among them.
      htmx.ajax("POST", card.dataset.moveUrl, {source: card, target: card, swap: "delete", values: values});
    }

    if (to.dataset.lost === "true") {
      askLossReason(board, card, function (reason) {
        if (reason === null) {
          card.classList.remove("is-saving");
          card.removeAttribute("aria-busy");
          putBack();
          return;
        }
        post({loss_reason: reason});
      });
      return;
    }
    post({});
  }

  function makeSortable(list) {
    if (Sortable.get(list)) return;
    var board = list.closest(".board");
    Sortable.create(list, {
      group: (board && board.dataset.sortableGroup) || "lead-board",
      draggable: ".board-card",
      // Order within a column is the server's (most recently updated first).
      sort: false,
      // The Move control stays usable; a card being saved stays put.
      filter: "select, button, .is-saving",
      preventOnFilter: false,
      // On a touch screen a short hold starts a drag, so a swipe still scrolls.
      delayOnTouchOnly: true,
      delay: 150,
      // The same pointer-driven drag everywhere, not HTML5 drag and drop on some devices: in
      // that mode a swipe that scrolls (pointercancel) left SortableJS holding a half-started
      // drag on touch screens with a desktop browser, and no card could be dragged after it.
      forceFallback: true,
      onEnd: save
    });
  }

  htmx.onLoad(function (root) {
    if (!root.querySelectorAll) return;
    if (root.matches(".board-cards")) makeSortable(root);
    root.querySelectorAll(".board-cards").forEach(makeSortable);
  });

  // A card's Move form sending it to a lost stage: the loss reason first, then the request
  // (htmx:confirm lets a request wait; issueRequest collects the form's values afresh).
  document.addEventListener("htmx:confirm", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches(".board-move")) return;
    var option = form.querySelector("select[name] option:checked");
    if (!option || option.dataset.lost !== "true") return;
    event.preventDefault();
    askLossReason(form.closest(".board"), form.closest(".board-card"), function (reason) {
      if (reason === null) return;
      form.querySelector("input[name='loss_reason']").value = reason;
      event.detail.issueRequest(true);
    });
  });

  // After "Show more", the keyboard continues from the first card it added (the button that
  // had the focus is replaced, or gone when the column is complete). The listener sits on the
  // button itself: once replaced, it is out of the document and its events no longer bubble.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var button = event.detail.elt;
    if (!button.matches || !button.matches(".board-more-button")) return;
    var list = document.getElementById(button.getAttribute("aria-controls"));
    var index = list.children.length;
    button.addEventListener("htmx:afterRequest", function (afterRequest) {
      var card = afterRequest.detail.successful ? list.children[index] : null;
      var link = card && card.querySelector("a");
      if (link) link.focus();
    }, {once: true});
  });
})();
