// The episode page's player, in plain JavaScript (no framework, no build step).
// Anything with data-start seeks the player when clicked or activated from the keyboard; the
// paragraph being heard is highlighted and, unless the reader scrolls away, kept in view;
// #t=M:SS (or #t=seconds) opens the page at that moment, and "Copy link" shares the current one.
// Without this script the page still works: the transcript reads and the native player plays.
(function () {
  "use strict";
  var audio = document.getElementById("player");
  if (!audio) return;
  var lines = Array.prototype.slice.call(document.querySelectorAll(".transcript .line[data-start]"));
  var starts = lines.map(function (l) { return parseFloat(l.getAttribute("data-start")); });

  function parseTime(text) {
    var parts = String(text).split(":");
    if (parts.length > 3) return null;
    var total = 0;
    for (var i = 0; i < parts.length; i++) {
      if (!/^\d+(\.\d+)?$/.test(parts[i])) return null;
      total = total * 60 + parseFloat(parts[i]);
    }
    return total;
  }

  function clock(seconds) {
    var s = Math.max(0, Math.floor(seconds)), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
    var ss = String(s % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + ss : m + ":" + ss;
  }

  function seek(seconds, play) {
    if (!isFinite(seconds) || seconds < 0) return;
    audio.currentTime = seconds;
    // Before the metadata has loaded some browsers ignore the seek: apply it again once it has.
    if (audio.readyState < 1) {
      audio.addEventListener("loadedmetadata", function once() {
        audio.removeEventListener("loadedmetadata", once);
        if (Math.abs(audio.currentTime - seconds) > 0.5) audio.currentTime = seconds;
      });
    }
    highlight(seconds, true);
    if (play) { var p = audio.play(); if (p && p.catch) p.catch(function () {}); }
  }

  // Index of the last paragraph that has started by time t (binary search: transcripts are long).
  function lineAt(t) {
    var lo = 0, hi = starts.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (starts[mid] <= t + 0.05) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }

  var current = null, follow = true, autoScrolling = false;
  function highlight(t, scroll) {
    var i = lineAt(t), found = i >= 0 ? lines[i] : null;
    if (found !== current) {
      if (current) { current.classList.remove("current"); current.removeAttribute("aria-current"); }
      if (found) { found.classList.add("current"); found.setAttribute("aria-current", "true"); }
      current = found;
      if (found && (scroll || (follow && !audio.paused))) {
        autoScrolling = true;
        found.scrollIntoView({ block: "center", behavior: scroll ? "auto" : "smooth" });
        setTimeout(function () { autoScrolling = false; }, 800);
      }
    }
  }

  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-start]");
    if (!el || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    // A real link inside a paragraph (none today, but notes may grow some) keeps its own meaning.
    var link = event.target.closest("a[href]");
    if (link && !link.hasAttribute("data-start")) return;
    if (window.getSelection && String(window.getSelection()).length > 0 && !link) return; // selecting text to quote
    event.preventDefault();
    var t = parseFloat(el.getAttribute("data-start"));
    seek(t, true);
    history.replaceState(null, "", "#t=" + clock(t));
  });

  // Paragraphs are the keyboard stops of the transcript (their timestamp links would double them).
  lines.forEach(function (line) {
    line.tabIndex = 0;
    var ts = line.querySelector("a.ts");
    if (ts) ts.tabIndex = -1;
    line.setAttribute("aria-label", (ts ? ts.textContent + ", " : "") + line.textContent.replace(/^\s*[\d:]+\s*/, ""));
  });
  document.addEventListener("keydown", function (event) {
    var el = event.target.closest && event.target.closest(".line[data-start]");
    if (!el || (event.key !== "Enter" && event.key !== " ")) return;
    event.preventDefault();
    var t = parseFloat(el.getAttribute("data-start"));
    seek(t, true);
    history.replaceState(null, "", "#t=" + clock(t));
  });

  audio.addEventListener("timeupdate", function () { highlight(audio.currentTime, false); });

  // Reading elsewhere while listening: stop following until the reader asks again.
  function userScrolled() { if (!autoScrolling && follow && !audio.paused) setFollow(false); }
  window.addEventListener("wheel", userScrolled, { passive: true });
  window.addEventListener("touchmove", userScrolled, { passive: true });

  // --- toolbar: skip, speed, follow, share ---------------------------------------------------
  var tools = document.getElementById("player-tools");
  var followButton, status;
  function button(label, title, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    if (title) b.setAttribute("aria-label", title);
    b.addEventListener("click", onClick);
    tools.appendChild(b);
    return b;
  }
  function setFollow(on) {
    follow = on;
    if (followButton) followButton.setAttribute("aria-pressed", on ? "true" : "false");
    if (on && current) current.scrollIntoView({ block: "center", behavior: "smooth" });
  }
  if (tools) {
    button("−15 s", "Back 15 seconds", function () { seek(Math.max(0, audio.currentTime - 15), false); });
    button("+30 s", "Forward 30 seconds", function () { seek(audio.currentTime + 30, false); });
    var speed = document.createElement("select");
    speed.setAttribute("aria-label", "Playback speed");
    [1, 1.25, 1.5, 1.75, 2].forEach(function (r) {
      var o = document.createElement("option");
      o.value = String(r); o.textContent = r + "×";
      speed.appendChild(o);
    });
    speed.addEventListener("change", function () { audio.playbackRate = parseFloat(speed.value); });
    tools.appendChild(speed);
    followButton = button("Follow", "Follow the transcript while playing", function () { setFollow(!follow); });
    followButton.setAttribute("aria-pressed", "true");
    button("Copy link", "Copy a link to this moment", function () {
      var url = location.href.split("#")[0] + "#t=" + clock(audio.currentTime);
      history.replaceState(null, "", url);
      var done = function () { status.textContent = "Link copied: " + url; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(url).then(done, function () { status.textContent = url; });
      } else {
        status.textContent = url;
      }
    });
    status = document.createElement("span");
    status.className = "status";
    status.setAttribute("role", "status");
    tools.appendChild(status);
    tools.hidden = false;
  }

  function fromHash() {
    var m = /^#t=([\d:.]+)$/.exec(location.hash);
    if (!m) return;
    var t = parseTime(m[1]);
    if (t === null) return;
    seek(t, false);
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();

// Scroll padding for the sticky player, whatever its height at this screen width: a paragraph or
// chapter scrolled to (a #t= or #chapter- link, the player following along) never hides under it.
(function () {
  "use strict";
  var player = document.querySelector(".player");
  if (!player || !window.ResizeObserver) return;
  new ResizeObserver(function () {
    document.documentElement.style.setProperty("--player-height", player.offsetHeight + "px");
  }).observe(player);
})();
