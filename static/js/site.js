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

// Phones: the header's "Menu" link (it jumps to #site-menu without JavaScript) becomes a
// button that shows and hides the navigation and account links.
(function () {
  "use strict";
  var link = document.querySelector("a[data-menu-toggle]");
  var menu = document.getElementById("site-menu");
  if (!link || !menu) {
    return;
  }
  var button = document.createElement("button");
  button.type = "button";
  button.className = link.className;
  button.innerHTML = link.innerHTML;
  button.setAttribute("aria-controls", menu.id);
  button.setAttribute("aria-expanded", "false");
  link.parentNode.replaceChild(button, link);

  function show(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("is-open", open);
  }
  button.addEventListener("click", function () {
    show(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      show(false);
      button.focus();
    }
  });
})();

// Filters: a <details> panel, folded in the HTML so a phone shows the products first;
// opened where the filters sit beside the results.
(function () {
  "use strict";
  if (!window.matchMedia || !window.matchMedia("(min-width: 860px)").matches) {
    return;
  }
  document.querySelectorAll("details[data-filters]").forEach(function (panel) {
    panel.open = true;
  });
})();
