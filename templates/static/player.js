// Click or press Enter on any element with data-start to seek the player there; highlight the
// transcript paragraph being heard; open the page at #t=M:SS (or #t=seconds).
(function () {
  "use strict";
  var audio = document.getElementById("player");
  if (!audio) return;
  var lines = Array.prototype.slice.call(document.querySelectorAll(".transcript .line[data-start]"));

  function parseTime(text) {
    var parts = String(text).split(":").map(Number);
    if (parts.some(isNaN)) return null;
    return parts.reduce(function (acc, n) { return acc * 60 + n; }, 0);
  }

  function seek(seconds, play) {
    audio.currentTime = seconds;
    if (play) { var p = audio.play(); if (p && p.catch) p.catch(function () {}); }
  }

  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-start]");
    if (!el || event.target.closest("a[href]:not([data-start])")) return;
    event.preventDefault();
    var t = parseFloat(el.getAttribute("data-start"));
    seek(t, true);
    history.replaceState(null, "", "#t=" + Math.floor(t));
  });

  lines.forEach(function (line) {
    line.tabIndex = 0;
    line.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        seek(parseFloat(line.getAttribute("data-start")), true);
      }
    });
  });

  var current = null;
  audio.addEventListener("timeupdate", function () {
    var t = audio.currentTime, found = null;
    for (var i = 0; i < lines.length; i++) {
      if (parseFloat(lines[i].getAttribute("data-start")) <= t + 0.05) found = lines[i]; else break;
    }
    if (found !== current) {
      if (current) current.classList.remove("current");
      if (found) found.classList.add("current");
      current = found;
    }
  });

  function fromHash() {
    var m = /^#t=([\d:.]+)$/.exec(location.hash);
    if (!m) return;
    var t = parseTime(m[1]);
    if (t === null) return;
    seek(t, false);
    var target = lines.filter(function (l) { return parseFloat(l.getAttribute("data-start")) <= t; }).pop();
    if (target) target.scrollIntoView({ block: "center" });
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
