/* The site header on a phone: the account links fold behind a "Menu" button, so the page starts
   near the top of the screen. Without JavaScript every link stays in view (the list wraps). */
(function () {
  "use strict";
  var button = document.getElementById("menu-toggle");
  var nav = document.getElementById("site-nav");
  if (!button || !nav) return;
  var narrow = window.matchMedia("(max-width: 40em)");

  function set(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("collapsed", !open);
  }

  function fit() {
    button.hidden = !narrow.matches;
    set(!narrow.matches);
  }

  button.addEventListener("click", function () {
    set(button.getAttribute("aria-expanded") !== "true");
  });
  narrow.addEventListener("change", fit);
  fit();
})();
