// Web forms: the "Copy" buttons of the embed code (templates/webforms/show.html). No eval, no inline script.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    var code = document.getElementById(button.dataset.copyTarget);
    var status = button.parentElement.querySelector(".w2l-copied");
    if (!code) return;
    // Without this script the button stays hidden: the code can still be selected and copied.
    button.hidden = false;
    button.addEventListener("click", function () {
      function done() { if (status) status.textContent = button.dataset.copied; }
      code.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(code.value).then(done, function () {
          document.execCommand("copy");
          done();
        });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });
});
