// A search box over a checklist (the activity form's cooperatives and their products).
// Without JavaScript the box stays hidden and the list is plain checkboxes. Typing hides the
// cooperatives whose name and products do not match; ticked ones always stay in sight.
// Accents are ignored, so "vai thieu" finds "Vải thiều".
(function () {
  "use strict";
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
  }
  document.querySelectorAll("[data-checklist-filter]").forEach(function (box) {
    var input = box.querySelector("input[data-filter-target]");
    var list = input && document.getElementById(input.getAttribute("data-filter-target"));
    if (!list) {
      return;
    }
    box.hidden = false;
    input.addEventListener("input", function () {
      var query = fold(input.value.trim());
      Array.prototype.forEach.call(list.children, function (item) {
        var match = !query || fold(item.textContent).indexOf(query) !== -1 || item.querySelector("input:checked");
        item.hidden = !match;
      });
    });
  });
})();
