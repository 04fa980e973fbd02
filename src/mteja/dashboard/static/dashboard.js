// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  var lang = document.documentElement.lang === "sw" ? "sw-TZ" : "en-GB";
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

  // Server-rendered times are UTC; show them in the browser's own time zone.
  var format = new Intl.DateTimeFormat(lang, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
    timeZoneName: "short"
  });
  document.querySelectorAll("time[datetime]").forEach(function (element) {
    var instant = new Date(element.getAttribute("datetime"));
    if (!isNaN(instant.getTime())) {
      element.title = element.textContent;
      element.textContent = format.format(instant);
    }
  });

  // Date filters mean days in the browser's time zone.
  document.querySelectorAll("input[name=tz]").forEach(function (input) {
    if (!input.value) { input.value = zone; }
  });
})();
