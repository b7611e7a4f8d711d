// Search box suggestions: the ARIA 1.2 combobox pattern with a listbox popup.
// Without JavaScript the box is a plain GET form to /search.
//   ArrowDown / ArrowUp  move through the suggestions (opening the list if needed)
//   Enter                opens the highlighted product, or submits the search when none is
//   Escape               closes the list (a second Escape clears the box, as browsers do)
(function () {
  "use strict";

  var MIN_CHARS = 2;   // the server answers nothing for less
  var DELAY_MS = 150;  // wait for a pause in typing before asking

  function setUp(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var url = input.getAttribute("data-suggest-url");
    if (!list || !url || !window.fetch) {
      return;
    }
    var status = input.form ? input.form.querySelector("[data-search-status]") : null;
    var statusTemplate = input.getAttribute("data-status-template") || "";
    var items = [];
    var active = -1;
    var timer = null;
    var controller = null;

    function announce(text) {
      if (status) {
        status.textContent = text;
      }
    }

    function isOpen() {
      return !list.hidden;
    }

    function open() {
      if (items.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
    }

    function close() {
      setActive(-1);
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
    }

    function setActive(index) {
      var options = list.children;
      if (active >= 0 && options[active]) {
        options[active].setAttribute("aria-selected", "false");
        options[active].classList.remove("is-active");
      }
      active = index;
      if (active >= 0 && options[active]) {
        options[active].setAttribute("aria-selected", "true");
        options[active].classList.add("is-active");
        input.setAttribute("aria-activedescendant", options[active].id);
        if (options[active].scrollIntoView) {
          options[active].scrollIntoView({ block: "nearest" });
        }
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function go(index) {
      if (items[index]) {
        close();
        window.location.assign(items[index].url);
      }
    }

    function option(item, index) {
      var li = document.createElement("li");
      li.id = list.id + "-" + index;
      li.className = "site-search-option";
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      var name = document.createElement("span");
      name.className = "site-search-option-name";
      name.textContent = item.name;
      var price = document.createElement("span");
      price.className = "site-search-option-price";
      price.textContent = item.price;
      li.appendChild(name);
      li.appendChild(price);
      // mousedown would move focus out of the box and close the list before the click.
      li.addEventListener("mousedown", function (event) { event.preventDefault(); });
      li.addEventListener("click", function () { go(index); });
      li.addEventListener("mousemove", function () {
        if (active !== index) { setActive(index); }
      });
      return li;
    }

    function render(found) {
      setActive(-1);
      items = found;
      list.textContent = "";
      items.forEach(function (item, index) { list.appendChild(option(item, index)); });
      if (items.length) {
        open();
        announce(statusTemplate.replace("{num}", String(items.length)));
      } else {
        close();
        announce("");
      }
    }

    function cancel() {
      window.clearTimeout(timer);
      if (controller) {
        controller.abort();
        controller = null;
      }
    }

    function load(query) {
      cancel();
      // A slower answer to an older query must never replace a newer one.
      controller = window.AbortController ? new AbortController() : null;
      fetch(url + "?q=" + encodeURIComponent(query), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller ? controller.signal : undefined
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          if (input.value.trim() === query && document.activeElement === input) {
            render((data && data.items) || []);
          }
        })
        .catch(function () {
          // Aborted or failed: no suggestions; the form still searches.
        });
    }

    function changed() {
      var query = input.value.trim();
      cancel();
      if (query.length < MIN_CHARS) {
        render([]);
        return;
      }
      timer = window.setTimeout(function () { load(query); }, DELAY_MS);
    }

    input.addEventListener("input", changed);
    input.addEventListener("search", changed);  // the clear button of type=search
    input.addEventListener("blur", close);
    input.addEventListener("click", open);

    input.addEventListener("keydown", function (event) {
      if (event.isComposing || event.altKey || event.ctrlKey || event.metaKey) {
        return;  // a Vietnamese input method is still composing, or a shortcut
      }
      switch (event.key) {
        case "ArrowDown":
          if (!items.length) { return; }
          event.preventDefault();
          if (!isOpen()) { open(); setActive(0); } else { setActive((active + 1) % items.length); }
          break;
        case "ArrowUp":
          if (!items.length) { return; }
          event.preventDefault();
          if (!isOpen()) { open(); setActive(items.length - 1); } else { setActive(active <= 0 ? items.length - 1 : active - 1); }
          break;
        case "Enter":
          if (isOpen() && active >= 0) {
            event.preventDefault();
            go(active);
          }
          break;  // otherwise the form submits the search
        case "Escape":
          if (isOpen()) {
            event.preventDefault();
            close();
          }
          break;
        case "Tab":
          close();
          break;
      }
    });
  }

  document.querySelectorAll("input[role=combobox][data-suggest-url]").forEach(setUp);
})();

// Search page: on a phone the facet panel starts folded, so the results are in view
// (the filters in use are listed above them). Open without JavaScript.
(function () {
  "use strict";
  if (!window.matchMedia || !window.matchMedia("(max-width: 859px)").matches) {
    return;
  }
  document.querySelectorAll("details[data-fold-on-phones]").forEach(function (panel) {
    panel.open = false;
  });
})();
