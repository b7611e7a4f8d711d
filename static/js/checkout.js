// Checkout totals that follow the delivery choices. Without JavaScript the page works
// the same: the server renders these figures, and "Update total" shows them for the
// options chosen. Each delivery radio carries its fee (data-fee-vnd, whole đồng, as the
// server computed it); each cooperative's fieldset its items total (data-items-vnd).
(function () {
  "use strict";

  var summary = document.querySelector(".checkout-total[data-money-sample]");
  var form = summary && summary.closest("form");
  if (!form) {
    return;
  }

  // Money as the server writes it: its sample (1.000.000 in the page's language, e.g.
  // "1.000.000 ₫" or "₫1,000,000") gives the group separator and what stands around the digits.
  var parts = /^(\D*)1(\D+)000\2(?:000)(\D*)$/.exec(summary.getAttribute("data-money-sample") || "");
  var before = parts ? parts[1] : "";
  var separator = parts ? parts[2] : ".";
  var after = parts ? parts[3] : "\u00a0₫";

  function money(amount) {
    return before + String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, separator) + after;
  }

  function whole(element, name) {
    var value = parseInt(element.getAttribute(name), 10);
    return isNaN(value) ? 0 : value;
  }

  function show(selector, amount) {
    form.querySelectorAll(selector).forEach(function (element) {
      element.textContent = money(amount);
    });
  }

  function update() {
    var items = 0;
    var delivery = 0;
    form.querySelectorAll("[data-checkout-group]").forEach(function (group) {
      var id = group.getAttribute("data-checkout-group");
      // None checked (a choice no longer offered): home delivery, the first, as the server counts it.
      var chosen = group.querySelector("input[data-fee-vnd]:checked") || group.querySelector("input[data-fee-vnd]");
      var fee = chosen ? whole(chosen, "data-fee-vnd") : 0;
      var groupItems = whole(group, "data-items-vnd");
      items += groupItems;
      delivery += fee;
      show('[data-group-fee="' + id + '"]', fee);
      show('[data-group-total="' + id + '"]', groupItems + fee);
    });
    show('[data-total="items"]', items);
    show('[data-total="delivery"]', delivery);
    show('[data-total="total"]', items + delivery);
  }

  form.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[data-fee-vnd]")) {
      update();
    }
  });
  // The totals follow every change here: the button that asks the server for them is not needed.
  form.querySelectorAll(".checkout-recalculate").forEach(function (element) {
    element.hidden = true;
  });
  // Enter in a field submits with the form's first button, that hidden one: nothing to reload
  // for. Only "Place order" sends the form.
  form.addEventListener("submit", function (event) {
    if (event.submitter && event.submitter.name === "recalculate") {
      event.preventDefault();
    }
  });
  update();
})();
