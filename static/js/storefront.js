// Storefront enhancements. Without JavaScript every thumbnail is a plain link to the large photo.
(function () {
  "use strict";
  // Product gallery: a thumbnail shows its photo in the main frame instead of leaving the page.
  document.querySelectorAll("[data-gallery]").forEach(function (gallery) {
    var main = gallery.querySelector("[data-gallery-main]");
    if (!main) { return; }
    gallery.addEventListener("click", function (event) {
      var thumb = event.target.closest("[data-gallery-thumb]");
      if (!thumb) { return; }
      event.preventDefault();
      main.src = thumb.getAttribute("href");
      main.alt = thumb.getAttribute("data-alt") || main.alt;
      main.removeAttribute("width");
      main.removeAttribute("height");
      gallery.querySelectorAll("[data-gallery-thumb]").forEach(function (other) {
        other.removeAttribute("aria-current");
      });
      thumb.setAttribute("aria-current", "true");
    });
  });
})();
