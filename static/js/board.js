// The Kanban boards (templates/leads/board.html, templates/opportunities/board.html): drag a card
// into another column to change its status or stage. Loaded from a file (the CSP forbids inline
// script); no inline styles of ours.
//
// What a drop posts comes from the markup: the board's data-move-field names the field (default
// "status") and each list's data-move-value (or data-status-id) its value; the board's
// data-move-values (JSON) adds the filters (default: the lead board's data-owner). Lists of one
// board share its data-sortable-group. A list marked data-lost first asks the loss reason in the
// <dialog> the board's data-loss-dialog names; so does a card's Move form for a data-lost option.
// A board with data-move-dialog has no form in its cards: a card's Move button (which without
// JavaScript opens the card's move page) opens that one shared dialog, and the move is posted
// like a drop.
"use strict";

(function () {
  function filterValues(board) {
    if (board && board.dataset.moveValues) return JSON.parse(board.dataset.moveValues);
    return {owner: board ? board.dataset.owner || "" : ""};
  }

  function moveValues(board, list) {
    var values = filterValues(board);
    var field = (board && board.dataset.moveField) || "status";
    values[field] = list.dataset.moveValue || list.dataset.statusId;
    return values;
  }

  // Post a card's move. The card waits (is-saving); on success the answer deletes it and puts
  // it back at the top of its column with the new counts (out of band); on refusal the reason
  // goes to #messages (crm/errors.py) and `failed` puts the card back where it was.
  function send(card, values, failed, succeeded) {
    card.classList.add("is-saving");
    card.setAttribute("aria-busy", "true");

    // Clear the waiting state before the swap (htmx copies the old card's attributes onto
    // its replacement while settling), and after a request that failed to get an answer.
    function answered(htmxEvent) {
      if (htmxEvent.detail.elt !== card) return; // a request of the card's own Move form
      card.classList.remove("is-saving");
      card.removeAttribute("aria-busy");
      if (htmxEvent.type !== "htmx:afterRequest") return;
      card.removeEventListener("htmx:beforeOnLoad", answered);
      card.removeEventListener("htmx:afterRequest", answered);
      if (!htmxEvent.detail.successful) failed();
      else if (succeeded) succeeded();
    }

    card.addEventListener("htmx:beforeOnLoad", answered);
    card.addEventListener("htmx:afterRequest", answered);
    // The card as source: htmx then inherits the body's hx-headers, the CSRF token among them.
    htmx.ajax("POST", card.dataset.moveUrl, {source: card, target: card, swap: "delete", values: values});
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

  // A drop asks the server; the card waits where it was dropped (see send).
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

    function putBack() {
      from.insertBefore(card, from.children[oldIndex] || null);
    }

    function post(extra) {
      var values = moveValues(board, to);
      Object.keys(extra).forEach(function (key) { values[key] = extra[key]; });
      send(card, values, putBack);
    }

    if (to.dataset.lost === "true") {
      card.classList.add("is-saving");
      card.setAttribute("aria-busy", "true");
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

  // The board's shared Move dialog (templates/opportunities/_board_move_form.html), opened by a
  // card's Move button: the card's current stage is left out, a lost stage shows the loss reason
  // (then required). Confirming closes the dialog, gives the focus back to the Move button and
  // posts the move like a drop; the answer brings the card back with the same ids, so the focus
  // stays on its Move button. When the card leaves the open columns (a closed stage), the focus
  // goes to the Move button of the card that was next to it, else to the row of columns.
  var movingCard = null;
  var wiredMoveDialogs = [];

  function moveButton(card) {
    return card && card.querySelector(".board-move-button");
  }

  function showReason(form) {
    var stage = form.elements.stage;
    var option = stage.options[stage.selectedIndex];
    var lost = !!option && option.dataset.lost === "true";
    var reason = form.elements.loss_reason;
    reason.closest(".board-move-reason").hidden = !lost;
    reason.required = lost;
    if (!lost) reason.value = "";
  }

  function focusAfterMove(card, list, neighbour) {
    if (document.body.contains(card)) return; // back on the board: htmx kept the focus
    var active = document.activeElement;
    if (active && active !== document.body && document.body.contains(active)) return;
    var button = neighbour && document.body.contains(neighbour) && moveButton(neighbour);
    var row = list && list.closest(".board-columns");
    if (button) button.focus();
    else if (row) row.focus();
  }

  function wireMoveDialog(dialog) {
    if (wiredMoveDialogs.indexOf(dialog) !== -1) return;
    wiredMoveDialogs.push(dialog);
    var form = dialog.querySelector("form");
    form.elements.stage.addEventListener("change", function () { showReason(form); });
    form.addEventListener("submit", function (event) {
      if (event.submitter && event.submitter.value === "cancel") return; // method="dialog" closes it
      event.preventDefault();
      var card = movingCard;
      movingCard = null;
      dialog.close();
      if (!card || !document.body.contains(card)) return;
      var board = card.closest(".board");
      var list = card.parentElement;
      var neighbour = card.nextElementSibling || card.previousElementSibling;
      var values = filterValues(board);
      values[(board && board.dataset.moveField) || "stage"] = form.elements.stage.value;
      values.loss_reason = form.elements.loss_reason.value;
      var button = moveButton(card);
      if (button) button.focus();
      send(card, values, function () {}, function () { focusAfterMove(card, list, neighbour); });
    });
    dialog.addEventListener("close", function () {
      // The close event comes a task later: if the dialog was opened again meanwhile (Escape
      // then Enter at once), this close belongs to the earlier card and must not forget the new one.
      if (dialog.open) return;
      // Cancelled (Cancel, Escape): the focus goes back to the card's Move button.
      var button = moveButton(movingCard);
      movingCard = null;
      if (button && document.body.contains(button)) button.focus();
    });
  }

  function openMoveDialog(dialog, card) {
    wireMoveDialog(dialog);
    var form = dialog.querySelector("form");
    var stage = form.elements.stage;
    var current = card.parentElement ? card.parentElement.dataset.moveValue : "";
    var first = null;
    Array.prototype.forEach.call(stage.options, function (option) {
      var isCurrent = option.value === current;
      option.hidden = isCurrent;
      option.disabled = isCurrent;
      if (!isCurrent && first === null) first = option;
    });
    if (first) stage.value = first.value;
    form.elements.loss_reason.value = "";
    showReason(form);
    var name = card.querySelector(".board-card-name");
    form.querySelector("[data-deal-name]").textContent = name ? name.textContent : "";
    movingCard = card;
    dialog.showModal();
    stage.focus();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".board-move-button");
    if (!button) return;
    var card = button.closest(".board-card");
    var board = button.closest(".board");
    var dialog = board && document.getElementById(board.dataset.moveDialog || "");
    if (!card || !dialog || !dialog.showModal || card.classList.contains("is-saving")) return;
    event.preventDefault(); // without the dialog, the button opens the card's move page
    openMoveDialog(dialog, card);
  });

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
