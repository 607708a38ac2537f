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
