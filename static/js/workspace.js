// Workspace enhancements. Without JavaScript the forms still work: the server
// renders the wards of the chosen province after a submit.
(function () {
  "use strict";

  // Refresh the ward/commune options when the province changes.
  function setUpWardSelect(provinceSelect) {
    var wardSelect = document.getElementById(provinceSelect.getAttribute("data-ward-select"));
    var urlTemplate = provinceSelect.getAttribute("data-wards-url");
    if (!wardSelect || !urlTemplate || !window.fetch) {
      return;
    }
    var placeholder = wardSelect.options.length ? wardSelect.options[0].cloneNode(true) : null;

    provinceSelect.addEventListener("change", function () {
      var code = provinceSelect.value;
      wardSelect.innerHTML = "";
      if (placeholder) {
        wardSelect.appendChild(placeholder.cloneNode(true));
      }
      if (!code) {
        return;
      }
      wardSelect.disabled = true;
      wardSelect.setAttribute("aria-busy", "true");
      fetch(urlTemplate.replace("{code}", encodeURIComponent(code)), {
        headers: { Accept: "application/json" },
        credentials: "same-origin"
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          var wards = Array.isArray(data) ? data : data.items || [];
          wards.forEach(function (ward) {
            var option = document.createElement("option");
            option.value = ward.code;
            option.textContent = ward.name;
            wardSelect.appendChild(option);
          });
        })
        .catch(function () {
          // Leave the placeholder: the server checks the ward and explains on submit.
        })
        .then(function () {
          wardSelect.disabled = false;
          wardSelect.removeAttribute("aria-busy");
        });
    });
  }

  document.querySelectorAll("select[data-ward-select]").forEach(setUpWardSelect);
})();
