/* Admin panel niceties.  Everything works without this file: the arrows
   submit the form (the server reorders), the policy's fields are all shown,
   and deletions need no confirmation dialog. */
(function () {
  "use strict";

  // Show only the chosen policy's parameters.
  document.querySelectorAll("[data-policy-select]").forEach(function (select) {
    var form = select.form;
    function sync() {
      form.querySelectorAll("[data-policy]").forEach(function (fieldset) {
        fieldset.hidden = fieldset.getAttribute("data-policy") !== select.value;
      });
    }
    select.addEventListener("change", sync);
    sync();
  });

  // A select with a "new value" input (the rotation's role): "Other…" shows the
  // input; any other choice hides and empties it, since a filled input wins.
  document.querySelectorAll("[data-select-other]").forEach(function (box) {
    var select = box.querySelector("select");
    var text = box.querySelector(".select-other-text");
    var input = text.querySelector("input");
    var other = new Option(box.getAttribute("data-select-other"), "");
    select.add(other);
    if (input.value) other.selected = true;
    function sync() {
      text.hidden = !other.selected;
      if (text.hidden) input.value = "";
    }
    select.addEventListener("change", function () {
      sync();
      if (other.selected) input.focus();
    });
    sync();
  });

  // Member order: arrows move rows in place; rows can be dragged.
  document.querySelectorAll("[data-people-order] .order-list").forEach(function (list) {
    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-move]");
      if (!button) return;
      event.preventDefault();
      var item = button.closest(".order-item");
      if (button.getAttribute("data-move") === "up" && item.previousElementSibling) {
        list.insertBefore(item, item.previousElementSibling);
      } else if (button.getAttribute("data-move") === "down" && item.nextElementSibling) {
        list.insertBefore(item.nextElementSibling, item);
      }
      button.focus();
    });
    var dragged = null;
    list.addEventListener("dragstart", function (event) {
      dragged = event.target.closest(".order-item");
      if (dragged) { dragged.classList.add("dragging"); event.dataTransfer.effectAllowed = "move"; }
    });
    list.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("dragging");
      dragged = null;
    });
    list.addEventListener("dragover", function (event) {
      if (!dragged) return;
      event.preventDefault();
      var over = event.target.closest(".order-item");
      if (!over || over === dragged) return;
      var box = over.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? over.nextElementSibling : over);
    });
  });

  // Copy buttons beside personal links, as on the public pages: hidden until
  // the browser can copy; without them the read-only field is selected by hand.
  if (navigator.clipboard) {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var input = document.querySelector(button.getAttribute("data-copy"));
        navigator.clipboard.writeText(input.value).then(function () {
          var label = button.textContent;
          button.textContent = button.getAttribute("data-copied");
          window.setTimeout(function () { button.textContent = label; }, 2000);
        });
      });
    });
  }

  // Ask before destructive posts.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
})();

// On a phone the panel's menu is one scrolling row: bring this page's entry
// into sight (without this file, it is found by scrolling the row).
(function () {
  "use strict";
  var menu = document.querySelector(".admin-nav ul");
  var current = menu && menu.querySelector("[aria-current=page]");
  if (current && menu.scrollWidth > menu.clientWidth) {
    menu.scrollLeft = current.offsetLeft - (menu.clientWidth - current.offsetWidth) / 2;
  }
})();
