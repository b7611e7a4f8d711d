// Copy buttons of the bank transfer details (templates/payments/bank_transfer/order_part.html).
// Each button (hidden in the page, shown here) copies the text of the element named by its
// data-copy-target: with the Clipboard API, else the old copy command on the selected text,
// else the text is left selected for the phone's own "Copy". What happened is said on the
// button and in the transfer's status line (role=status, read out by screen readers).
(function () {
  "use strict";

  var RESET_AFTER_MS = 2500;

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copyBySelection(element) {
    selectText(element);
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  function copy(element) {
    var text = element.textContent.trim();
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(
        function () { return true; },
        function () { return copyBySelection(element); }
      );
    }
    return Promise.resolve(copyBySelection(element));
  }

  function statusOf(button) {
    var block = button.closest(".transfer");
    return block ? block.querySelector(".copy-status") : null;
  }

  function tell(button, message) {
    var status = statusOf(button);
    if (status) {
      status.textContent = "";
      // A fresh text node each time, so the same message is read out again.
      window.setTimeout(function () { status.textContent = message; }, 50);
    }
  }

  function setUp(button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target) {
      return;
    }
    var label = button.textContent;
    var timer = null;
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(target).then(function (copied) {
        var message = copied ? button.getAttribute("data-copied") : button.getAttribute("data-selected");
        if (copied) {
          button.textContent = message;
          button.classList.add("is-copied");
        }
        tell(button, message);
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          button.textContent = label;
          button.classList.remove("is-copied");
        }, RESET_AFTER_MS);
      });
    });
  }

  document.querySelectorAll("button[data-copy-target]").forEach(setUp);
})();
