// The time left of support-access grants ticks in the page: every element with data-expires (an ISO 8601
// time) shows "expires in 23 h 11 min 58 s", counted from data-now (the server's time when the page was
// made), so a wrong clock on this computer does not change it. Without JavaScript the server's text stays.
(function () {
  "use strict";
  var loaded = Date.now();

  function left(seconds) {
    if (seconds <= 0) return "has expired";
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var rest = seconds % 60;
    var parts = [];
    if (hours) parts.push(hours + " h");
    if (hours || minutes) parts.push(minutes + " min");
    parts.push(rest + " s");
    return "expires in " + parts.join(" ");
  }

  function tick() {
    var elements = document.querySelectorAll("[data-expires]");
    for (var i = 0; i < elements.length; i++) {
      var element = elements[i];
      var expires = Date.parse(element.getAttribute("data-expires"));
      var serverNow = Date.parse(element.getAttribute("data-now") || "");
      if (isNaN(expires)) continue;
      var now = isNaN(serverNow) ? Date.now() : serverNow + (Date.now() - loaded);
      var text = left(Math.max(0, Math.ceil((expires - now) / 1000)));
      if (element.textContent !== text) element.textContent = text;
    }
  }

  document.addEventListener("DOMContentLoaded", tick);
  // htmx swaps in new rows (a search, another page): their server time is the swap's.
  document.addEventListener("htmx:afterSwap", function () { loaded = Date.now(); tick(); });
  setInterval(tick, 1000);
})();
