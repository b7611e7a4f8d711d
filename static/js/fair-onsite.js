// On-site sales: the − and + buttons beside the quantity (the field works without them).
(function () {
  "use strict";
  var input = document.getElementById("onsite-quantity");
  if (!input) return;
  document.querySelectorAll(".onsite-step").forEach(function (button) {
    button.addEventListener("click", function () {
      var value = parseInt(input.value, 10) || 1;
      value = Math.min(999, Math.max(1, value + parseInt(button.dataset.step, 10)));
      input.value = String(value);
    });
  });
})();
