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

/* ==== Admin timeline (templates/admin/timeline.pt) ======================================
   Dragging across a shift of the final roster chooses a stretch of it: rounded to 15
   minutes, kept within the shift, shown highlighted, and written into the chosen shift's
   "from" and "until" fields (another shift's panel opens first: ?shift=&start=&end= pre-fill
   it).  "+" and "-" zoom in and out (timeline.js, as on the team page).  Without this file the bars are
   links and the panel's fields are typed. */
(function () {
  "use strict";
  var page = document.querySelector(".admin-timeline[data-timezone]");
  var track = page && page.querySelector(".timeline-track[data-start]");
  if (!track) return;
  var zone = page.getAttribute("data-timezone");
  var windowStart = Date.parse(track.getAttribute("data-start"));
  var windowEnd = Date.parse(track.getAttribute("data-end"));
  var STEP = 15 * 60 * 1000;
  var drag = null, justDragged = false, mark = null;

  // Bars are placed in percent of their lane's list: the instant under the pointer is read there.
  function instantAt(clientX, lane) {
    var box = lane.getBoundingClientRect();
    var inner = box.width || 1;
    return windowStart + (windowEnd - windowStart) * (clientX - box.left) / inner;
  }
  function within(moment, bar) {
    var rounded = Math.round(moment / STEP) * STEP;
    return Math.min(Math.max(rounded, bar.low), bar.high);
  }
  // "2026-03-10T12:00" in the team's zone: what a datetime-local field holds, and what ?start= reads.
  function local(moment) {
    var parts = {};
    new Intl.DateTimeFormat("en-CA", {
      timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).formatToParts(new Date(moment)).forEach(function (part) { parts[part.type] = part.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + "T" + parts.hour + ":" + parts.minute;
  }
  function percent(moment) {
    return 100 * (moment - windowStart) / (windowEnd - windowStart);
  }
  // The highlighted stretch: a band over the bar's row of its lane.
  function show(bar, from, to) {
    if (!mark) {
      mark = document.createElement("li");
      mark.className = "timeline-stretch";
      mark.setAttribute("aria-hidden", "true");
    }
    if (mark.parentNode !== bar.lane) bar.lane.appendChild(mark);
    var low = Math.max(Math.min(from, to), windowStart), high = Math.min(Math.max(from, to), windowEnd);
    mark.style.left = percent(low) + "%";
    mark.style.width = Math.max(percent(high) - percent(low), 0) + "%";
    mark.style.top = bar.element.style.top;
  }
  function barOf(element) {
    return {
      element: element, lane: element.parentNode, id: element.getAttribute("data-shift"),
      low: Date.parse(element.getAttribute("data-start")), high: Date.parse(element.getAttribute("data-end"))
    };
  }

  // The stretch the server pre-filled (dragged before the panel opened, or typed) stays marked.
  var form = page.querySelector("form.override-stretch[data-shift]");
  if (form && form.getAttribute("data-stretch-start")) {
    var chosen = track.querySelector('.timeline-bar[data-shift="' + form.getAttribute("data-shift") + '"]');
    if (chosen) {
      show(barOf(chosen), Date.parse(form.getAttribute("data-stretch-start")), Date.parse(form.getAttribute("data-stretch-end")));
    }
  }

  track.addEventListener("pointerdown", function (event) {
    var element = event.target.closest(".timeline-bar[data-shift]");
    // A finger scrolls the timeline sideways; dragging is the mouse's (and a pen's).
    if (!element || event.button !== 0 || event.pointerType === "touch") return;
    event.preventDefault();  // no dragging of the link, no selecting of text
    drag = barOf(element);
    drag.x = event.clientX;
    drag.from = drag.to = within(instantAt(event.clientX, drag.lane), drag);
    drag.moved = false;
  });
  document.addEventListener("pointermove", function (event) {
    if (!drag) return;
    if (Math.abs(event.clientX - drag.x) > 4) drag.moved = true;
    if (!drag.moved) return;
    drag.to = within(instantAt(event.clientX, drag.lane), drag);
    show(drag, drag.from, drag.to);
  });
  document.addEventListener("pointerup", function () {
    if (!drag) return;
    var done = drag;
    drag = null;
    if (!done.moved) return;  // a click: the bar's link does what it says
    justDragged = true;
    window.setTimeout(function () { justDragged = false; }, 0);
    var from = Math.min(done.from, done.to), to = Math.max(done.from, done.to);
    if (to <= from) {
      if (mark && mark.parentNode) mark.parentNode.removeChild(mark);
      return;
    }
    var panel = page.querySelector('form.override-stretch[data-shift="' + done.id + '"]');
    if (panel) {
      panel.elements.start.value = local(from);
      panel.elements.end.value = local(to);
      panel.elements.person.focus();
      return;
    }
    var address = new URL(window.location.href);
    ["other", "person", "reason"].forEach(function (name) { address.searchParams.delete(name); });
    address.searchParams.set("shift", done.id);
    address.searchParams.set("start", local(from));
    address.searchParams.set("end", local(to));
    address.hash = "chosen";
    window.location.href = address.toString();
  });
  // The click that ends a drag does not follow the bar's link.
  track.addEventListener("click", function (event) {
    if (justDragged) { event.preventDefault(); justDragged = false; }
  }, true);
})();
/* ==== end of the admin timeline ========================================================= */
