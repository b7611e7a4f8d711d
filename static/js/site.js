// Progressive enhancements only; every page works without JavaScript.
(function () {
  "use strict";
  // Forms that ask for confirmation before a destructive action.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
