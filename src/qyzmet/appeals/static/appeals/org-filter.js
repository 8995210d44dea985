// An optional filter box above each long organisation list (<select data-filter-label>): typing
// hides the options whose names do not contain the text. Without JavaScript the plain list with
// its groups works as it is; nothing here chooses an option.
(function () {
  "use strict";
  function attach(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.id = select.id + "-filter";
    box.className = "org-filter";
    box.setAttribute("autocomplete", "off");
    var label = document.createElement("label");
    label.htmlFor = box.id;
    label.textContent = select.getAttribute("data-filter-label");
    // Above the list's own label, so that label stays next to its list.
    var anchor = (select.labels && select.labels[0]) || select;
    anchor.parentNode.insertBefore(label, anchor);
    anchor.parentNode.insertBefore(box, anchor);
    box.addEventListener("input", function () {
      var needle = box.value.trim().toLocaleLowerCase();
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        var shown = 0;
        Array.prototype.forEach.call(group.querySelectorAll("option"), function (option) {
          var match = !needle || option.textContent.toLocaleLowerCase().indexOf(needle) !== -1;
          option.hidden = !match;
          if (match) { shown += 1; }
        });
        group.hidden = shown === 0;
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-filter-label]"), attach);
  });
})();
