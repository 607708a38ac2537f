// The timeline (templates/timeline.pt), on the team page and in the admin panel: niceties
// only, the page works without them.  (admin.js adds the admin's dragging.)
(function () {
  "use strict";
  var track = document.querySelector(".timeline-track[data-start]");
  if (!track) return;
  var start = Date.parse(track.getAttribute("data-start")), end = Date.parse(track.getAttribute("data-end"));

  // The now line follows the clock (and leaves when the window is over).
  var line = track.querySelector(".timeline-now");
  function moveNow() {
    if (!line || isNaN(start) || isNaN(end)) return;
    var at = Date.now();
    line.hidden = at < start || at >= end;
    if (line.hidden) return;
    var percent = 100 * (at - start) / (end - start);
    line.style.left = percent + "%";
    line.classList.toggle("late", percent > 85);
  }
  moveNow();
  window.setInterval(moveNow, 60000);

  // On a narrow screen the timeline opens scrolled to the current time.
  var box = track.parentNode;
  if (line && !line.hidden && box.scrollWidth > box.clientWidth) {
    box.scrollLeft = Math.max(0, line.offsetLeft - box.clientWidth / 3);
  }

  // The server guesses whether a name fits its bar; where the browser finds it does not
  // (a wider font, a narrower bar), the bar shows initials instead: never a cut name.
  function fit() {
    var names = track.querySelectorAll(".bar-name");
    for (var i = 0; i < names.length; i++) {
      var link = names[i].parentNode;
      if (link.scrollHeight > link.clientHeight + 1 || link.scrollWidth > link.clientWidth + 1) {
        var letters = document.createElement("span");
        letters.className = "bar-initials";
        letters.setAttribute("aria-hidden", "true");
        letters.textContent = link.getAttribute("data-initials") || "";
        link.replaceChild(letters, names[i]);
        if (link.scrollWidth > link.clientWidth + 1) letters.textContent = "";
      }
    }
  }
  fit();

  // "+" and "-" zoom in and out while the timeline has the focus.
  var view = track.closest(".timeline-view");
  view.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var step = event.key === "+" || event.key === "=" ? -1 : event.key === "-" ? 1 : 0;
    if (!step) return;
    var zooms = view.querySelectorAll(".zoom-switch a");
    for (var k = 0; k < zooms.length; k++) {
      if (zooms[k].getAttribute("aria-current") === "page" && zooms[k + step]) {
        event.preventDefault();
        window.location.href = zooms[k + step].href;
        return;
      }
    }
  });
})();
