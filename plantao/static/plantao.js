/* Plantão: small progressive enhancements; every page works without this. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Live countdown to the next handoff ("2 d 03 h 14 min").
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function remaining(ms) {
    var minutes = Math.max(0, Math.floor(ms / 60000));
    var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
    if (days) return days + " d " + pad(hours) + " h " + pad(mins) + " min";
    if (hours) return hours + " h " + pad(mins) + " min";
    return mins + " min";
  }
  function tick() {
    var items = document.querySelectorAll("[data-countdown]");
    for (var i = 0; i < items.length; i++) {
      var target = Date.parse(items[i].getAttribute("data-countdown"));
      if (isNaN(target)) continue;
      var ms = target - Date.now();
      if (ms <= 0) { window.location.reload(); return; }
      items[i].textContent = remaining(ms);
    }
  }
  if (document.querySelector("[data-countdown]")) { tick(); window.setInterval(tick, 15000); }

  // The person filter applies as soon as a person is chosen.
  document.addEventListener("change", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-autosubmit")) event.target.form.submit();
  });

  // Copy buttons beside the feed links.
  var buttons = document.querySelectorAll("[data-copy]");
  for (var j = 0; j < buttons.length; j++) {
    if (!navigator.clipboard) break;
    buttons[j].hidden = false;
    buttons[j].addEventListener("click", function () {
      var button = this, input = document.querySelector(button.getAttribute("data-copy"));
      navigator.clipboard.writeText(input.value).then(function () {
        var label = button.textContent;
        button.textContent = button.getAttribute("data-copied");
        window.setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  }

  // The home page's team search filters the cards as one types; without
  // this script the form asks the server (?q=), which matches the same way:
  // every word somewhere in the name or address, ignoring case and accents.
  var search = document.querySelector("[data-team-search]");
  if (search) {
    var cards = document.querySelectorAll(search.getAttribute("data-team-search"));
    var none = document.querySelector("[data-team-search-empty]");
    var fold = function (text) {
      return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
    };
    search.addEventListener("input", function () {
      var words = fold(search.value).split(/\s+/).filter(Boolean), shown = 0;
      for (var k = 0; k < cards.length; k++) {
        var text = cards[k].getAttribute("data-search-text") || "";
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        cards[k].hidden = !match;
        if (match) shown++;
      }
      if (none) none.hidden = shown > 0 || !cards.length;
    });
  }
})();

// The team page's timeline (templates/timeline.pt): niceties only, the page works without them.
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

// The team page's month grid (templates/team.pt): a name wraps at its spaces; where one of
// its words is wider than the whole day, the shift shows initials instead (the name stays in
// the title and, visually hidden, in the text) rather than breaking inside the word.
(function () {
  "use strict";
  var grid = document.querySelector(".calendar");
  if (!grid) return;
  function fit() {
    // Measured with every name shown and unbroken, then marked all at once: one layout each.
    grid.classList.add("measuring-names");
    var names = grid.querySelectorAll(".shift-name"), tight = [];
    for (var i = 0; i < names.length; i++) tight.push(names[i].scrollWidth > names[i].clientWidth);
    grid.classList.remove("measuring-names");
    for (var j = 0; j < names.length; j++) names[j].parentNode.classList.toggle("initials-only", tight[j]);
  }
  fit();
  var pending = false;
  window.addEventListener("resize", function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; fit(); });
  });
})();
