// The leads board (templates/leads/board.html): drag a card into another column to change the
// lead's status. Loaded from a file (the CSP forbids inline script); no inline styles of ours.
"use strict";

(function () {
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
    var oldIndex = event.oldIndex;
    var board = card.closest(".board");
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
      if (!htmxEvent.detail.successful) {
        from.insertBefore(card, from.children[oldIndex] || null);
      }
    }
    card.addEventListener("htmx:beforeOnLoad", answered);
    card.addEventListener("htmx:afterRequest", answered);
    // The card as source: htmx then inherits the body's hx-headers, the CSRF token among them.
    htmx.ajax("POST", card.dataset.moveUrl, {
      source: card,
      target: card,
      swap: "delete",
      values: {status: event.to.dataset.statusId, owner: board ? board.dataset.owner : ""}
    });
  }

  function makeSortable(list) {
    if (Sortable.get(list)) return;
    Sortable.create(list, {
      group: "lead-board",
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
