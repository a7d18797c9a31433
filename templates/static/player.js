// The site's podcast player, plain JavaScript, dressing the native <audio> (which plays without it):
// controls, chapters, Media Session, a bar docked at the bottom, the position remembered; the
// transcript followed word by word (data-w), #t=M:SS, and sharing selected words. On lists, each
// card's play button plays its episode in the docked bar.
(function () {
  "use strict";
  const box = document.querySelector(".player");
  const audio = box && box.querySelector("audio");
  const pp = box && box.querySelector(".pp");
  if (!audio || !pp) return;
  const $ = (sel) => pp.querySelector(sel);
  const playBtn = $(".pp-play"), pos = $(".pp-pos"), timeEl = $(".pp-time"), leftEl = $(".pp-left");
  const chEl = $(".pp-ch"), epEl = $(".pp-ep"), artEl = $(".pp-art"), speedBtn = $(".pp-speed"), status = $(".pp-status");
  const standby = box.classList.contains("standby"); // a list page: nothing loaded until a card plays
  const store = (() => { try { return window.localStorage; } catch (e) { return null; } })();
  const meta = document.querySelector('meta[property="og:site_name"]');
  const showTitle = meta ? meta.content : "";

  audio.controls = false;
  pp.hidden = false;
  document.querySelectorAll(".keys").forEach((el) => { el.hidden = false; });
  if (window.matchMedia("(min-width: 62rem)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach((d) => { d.open = true; });
  }

  // Time
  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds)), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
    const ss = String(s % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + ss : m + ":" + ss;
  }
  function parseTime(text) {
    const parts = String(text).split(":");
    if (parts.length > 3) return null;
    let total = 0;
    for (const part of parts) {
      if (!/^\d+(\.\d+)?$/.test(part)) return null;
      total = total * 60 + parseFloat(part);
    }
    return total;
  }
  // Index of the last of the sorted times at or before t.
  function lastAt(times, t) {
    let lo = 0, hi = times.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid] <= t) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }
  const duration = () => (isFinite(audio.duration) && audio.duration > 0 ? audio.duration : parseFloat(pos.max) || 0);

  // Chapters
  const chapters = Array.from(document.querySelectorAll(".chapters a[data-start]"), (a) => ({
    start: parseFloat(a.getAttribute("data-start")),
    title: (a.querySelector(".title") || a).textContent.trim(),
  }));
  const chapterStarts = chapters.map((c) => c.start);
  const chapterAt = (t) => chapters[lastAt(chapterStarts, t + 0.25)] || null;
  let shownChapter;

  // Remembered position
  let key = "podkit:pos:" + new URL(audio.getAttribute("data-page") || location.pathname, location.href).pathname;
  let savedAt = -1;
  function remember(force) {
    const t = audio.currentTime;
    if (!store || !audio.currentSrc || (!force && Math.abs(t - savedAt) < 5)) return;
    savedAt = t;
    try {
      if (t > 5 && t < duration() - 10) store.setItem(key, JSON.stringify({ t: t, at: Date.now() }));
      else store.removeItem(key);
    } catch (e) { /* storage full or refused: nothing to remember with */ }
  }
  function recalled() {
    try {
      const v = store && JSON.parse(store.getItem(key) || "null");
      return v && isFinite(v.t) ? v.t : null;
    } catch (e) { return null; }
  }

  // The controls
  function play() { const p = audio.play(); if (p && p.catch) p.catch(() => {}); }
  function seek(t, andPlay, jump) {
    if (!isFinite(t) || t < 0) return;
    audio.currentTime = t;
    // Some browsers ignore a seek before the metadata: apply it again then.
    if (audio.readyState < 1) {
      audio.addEventListener("loadedmetadata", () => { if (Math.abs(audio.currentTime - t) > 0.5) audio.currentTime = t; },
        { once: true });
    }
    update();
    follow.to(t, !!jump);
    if (andPlay) play();
  }
  const SPEEDS = [0.75, 1, 1.25, 1.5, 1.75, 2];
  function setSpeed(rate) {
    audio.playbackRate = rate;
    audio.defaultPlaybackRate = rate;
    speedBtn.textContent = rate + "×";
    speedBtn.setAttribute("aria-label", "Playback speed " + rate + "×");
    try { if (store) store.setItem("podkit:speed", String(rate)); } catch (e) { /* ignore */ }
  }
  function stepSpeed(by) {
    const i = SPEEDS.indexOf(audio.playbackRate);
    setSpeed(SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, (i < 0 ? 1 : i) + by))]);
  }
  function toChapter(by) {
    if (!chapters.length) return;
    const i = lastAt(chapterStarts, audio.currentTime + 0.25);
    // "Previous" in a chapter's first seconds goes to the one before.
    const back = by < 0 && i >= 0 && audio.currentTime - chapters[i].start < 3 ? -1 : 0;
    const j = by > 0 ? i + 1 : i + back;
    if (j >= 0 && j < chapters.length) seek(chapters[j].start, !audio.paused);
  }
  playBtn.addEventListener("click", () => (audio.paused ? play() : audio.pause()));
  const back = () => seek(Math.max(0, audio.currentTime - 15)), ahead = () => seek(Math.min(duration(), audio.currentTime + 30));
  $(".pp-back").addEventListener("click", back);
  $(".pp-fwd").addEventListener("click", ahead);
  speedBtn.addEventListener("click", () => setSpeed(SPEEDS[(SPEEDS.indexOf(audio.playbackRate) + 1) % SPEEDS.length]));
  pos.addEventListener("input", () => seek(parseFloat(pos.value)));
  const savedSpeed = store && parseFloat(store.getItem("podkit:speed"));
  if (savedSpeed && SPEEDS.indexOf(savedSpeed) >= 0) setSpeed(savedSpeed);

  function update() {
    const t = audio.currentTime, d = duration();
    if (d && String(Math.ceil(d)) !== pos.max) pos.max = String(Math.ceil(d));
    pos.value = String(t);
    pos.setAttribute("aria-valuetext", clock(t) + " of " + clock(d));
    pos.style.setProperty("--p", d ? (100 * t / d).toFixed(2) + "%" : "0%");
    timeEl.textContent = clock(t);
    leftEl.textContent = "−" + clock(Math.max(0, d - t));
    const ch = chapterAt(t);
    if (ch !== shownChapter) {
      shownChapter = ch;
      chEl.textContent = ch ? ch.title : "";
      session.metadata();
    }
  }
  function playing() {
    const on = !audio.paused;
    pp.classList.toggle("playing", on);
    playBtn.setAttribute("aria-label", on ? "Pause" : "Play");
    if (on) { offer.hide(); follow.run(); }
    session.state();
  }
  audio.addEventListener("timeupdate", () => { update(); remember(false); if (audio.paused) follow.to(audio.currentTime, false); });
  audio.addEventListener("durationchange", update);
  audio.addEventListener("play", playing);
  audio.addEventListener("pause", () => { playing(); remember(true); });
  audio.addEventListener("ratechange", () => session.state());
  audio.addEventListener("seeked", () => session.state());
  audio.addEventListener("ended", () => { try { if (store) store.removeItem(key); } catch (e) { /* ignore */ } });
  window.addEventListener("pagehide", () => remember(true));

  // Media Session: lock screens, headsets, car screens
  function session() {}
  session.metadata = function () {
    if (!("mediaSession" in navigator) || !window.MediaMetadata || !audio.currentSrc) return;
    const ch = shownChapter;
    navigator.mediaSession.metadata = new MediaMetadata({
      title: epEl.textContent, artist: showTitle, album: ch ? ch.title : showTitle,
      // The full artwork is at least 1400 px (the feeds' rule). Saying so lets the browser take the
      // 480 px copy for its own small surfaces instead of decoding the full image on the page's thread.
      artwork: [{ src: artEl.src, sizes: "480x480", type: "image/jpeg" }].concat(
        artEl.dataset.full ? [{ src: new URL(artEl.dataset.full, location.href).href, sizes: "1400x1400" }] : []),
      chapterInfo: chapters.map((c) => ({ title: c.title, startTime: c.start })),
    });
  };
  session.state = function () {
    if (!("mediaSession" in navigator)) return;
    navigator.mediaSession.playbackState = audio.paused ? "paused" : "playing";
    const d = duration();
    if (d && navigator.mediaSession.setPositionState) {
      try {
        navigator.mediaSession.setPositionState({ duration: d, playbackRate: audio.playbackRate,
          position: Math.min(d, audio.currentTime) });
      } catch (e) { /* a position past a duration not known yet */ }
    }
  };
  if ("mediaSession" in navigator) {
    const actions = {
      play: play, pause: () => audio.pause(),
      seekbackward: (d) => seek(Math.max(0, audio.currentTime - ((d && d.seekOffset) || 15))),
      seekforward: (d) => seek(Math.min(duration(), audio.currentTime + ((d && d.seekOffset) || 30))),
      seekto: (d) => seek(d.seekTime),
      previoustrack: chapters.length ? () => toChapter(-1) : null,
      nexttrack: chapters.length ? () => toChapter(1) : null,
    };
    Object.keys(actions).forEach((name) => {
      try { navigator.mediaSession.setActionHandler(name, actions[name]); } catch (e) { /* not supported here */ }
    });
    audio.addEventListener("play", session.metadata);
  }

  // The offer to resume
  const offer = {
    el: null,
    show(t) {
      const el = this.el = document.createElement("p");
      el.className = "pp-offer";
      el.append("You were at " + clock(t) + ". ");
      const go = document.createElement("button"), no = document.createElement("button");
      go.type = no.type = "button";
      go.textContent = "Resume at " + clock(t);
      no.textContent = "Start over";
      go.addEventListener("click", () => { this.hide(); seek(t, true, true); });
      no.addEventListener("click", () => { this.hide(); try { store.removeItem(key); } catch (e) { /* ignore */ } });
      el.append(go, " ", no);
      status.after(el);
    },
    hide() { if (this.el) { this.el.remove(); this.el = null; } },
  };

  // The docked bar
  const root = document.documentElement;
  function dock(on) {
    if (on === pp.classList.contains("docked")) return;
    if (on && !standby) box.style.minHeight = box.offsetHeight + "px"; // the page does not jump
    pp.classList.toggle("docked", on);
    root.style.scrollPaddingBottom = on ? pp.offsetHeight + 16 + "px" : "";
  }
  if (standby) dock(true);
  else if (window.IntersectionObserver) {
    new IntersectionObserver((entries) => {
      const e = entries[entries.length - 1];
      dock(!e.isIntersecting && e.boundingClientRect.top < 0);
    }).observe(box);
  }
  // Nothing the keyboard reaches goes under the bar: scroll it above.
  function uncover(el) {
    if (!pp.classList.contains("docked") || pp.contains(el) || !el.getBoundingClientRect) return;
    const r = el.getBoundingClientRect(), top = pp.getBoundingClientRect().top;
    if (r.bottom > top - 8) window.scrollBy(0, r.bottom - top + 16);
  }
  // Now, and again after the browser's own scrolling to the focused element.
  document.addEventListener("focusin", (e) => { uncover(e.target); requestAnimationFrame(() => uncover(e.target)); });

  // Lists: play an episode in place
  document.addEventListener("click", (e) => {
    const a = e.target.closest && e.target.closest("a[data-play]");
    if (!a || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return;
    e.preventDefault();
    const src = new URL(a.getAttribute("href"), location.href).href;
    if (audio.currentSrc === src) { if (audio.paused) play(); else audio.pause(); return; }
    remember(true);
    key = "podkit:pos:" + new URL(a.getAttribute("data-page"), location.href).pathname;
    savedAt = -1;
    audio.src = src;
    epEl.textContent = a.getAttribute("data-title");
    artEl.src = a.getAttribute("data-art");
    delete artEl.dataset.full;
    shownChapter = undefined;
    box.hidden = false;
    const t = recalled();
    if (t !== null) {
      audio.currentTime = t;
      status.textContent = "Resumed at " + clock(t) + ".";
    }
    play();
    playBtn.focus();
  });

  // The transcript: follow by word
  const lines = Array.from(document.querySelectorAll(".transcript .line[data-start]"));
  const starts = lines.map((l) => parseFloat(l.getAttribute("data-start")));
  const words = new Map(); // paragraph -> its words (wordsOf): made when it is first heard

  // When each word starts. data-w: tenths of a second after the word before, a character each
  // (0-9a-zA-Z: 0 to 61), or the number in parentheses.
  const DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  function timesOf(line) {
    const data = (line.querySelector(".words") || line).getAttribute("data-w") || "", out = [];
    const start = parseFloat(line.getAttribute("data-start"));
    for (let i = 0, t = 0; i < data.length; i++) {
      let gap = DIGITS.indexOf(data[i]);
      if (data[i] === "(") { const j = data.indexOf(")", i); gap = parseInt(data.slice(i + 1, j), 10); i = j; }
      out.push(start + (t += gap) / 10);
    }
    return out;
  }
  // The word being heard is marked by a highlight over the text (the CSS Custom Highlight API): no
  // element changes, so moving the mark costs a repaint, not a layout of the paragraph. Where the
  // API is missing, the paragraph's words become elements (.wd) and the mark a class (.now).
  const marker = window.CSS && CSS.highlights && window.Highlight ? new Highlight() : null;
  if (marker) CSS.highlights.set("now", marker);
  // A paragraph's words with their times, and (highlight) where each is in its text or (else) its
  // element: made when the paragraph is first heard.
  function wordsOf(line) {
    let w = words.get(line);
    if (w) return w;
    const span = line.querySelector(".words"), text = span ? span.textContent : "", at = [], re = /\S+/g;
    for (let m; (m = re.exec(text));) at.push(m.index);
    w = { times: timesOf(line), at: at, text: text, node: span && span.firstChild, spans: [] };
    if (at.length !== w.times.length) w.times = [];
    else if (!marker || !w.node || w.node.nodeType !== 3 || span.childNodes.length !== 1) {
      const sel = window.getSelection();
      if (sel && !sel.isCollapsed && span.contains(sel.anchorNode)) return { times: [], spans: [] };
      w.node = null;
      const frag = document.createDocumentFragment();
      for (const part of text.split(/(\s+)/).filter(Boolean)) {
        if (/^\s/.test(part)) { frag.append(part); continue; }
        const s = document.createElement("span");
        s.className = "wd";
        s.textContent = part;
        w.spans.push(s);
        frag.append(s);
      }
      span.replaceChildren(frag);
    }
    words.set(line, w);
    return w;
  }
  // The k-th word of a paragraph as something to mark and to scroll to: a range or an element.
  function wordAt(w, k) {
    if (!w.node) return w.spans[k] || null;
    const r = document.createRange(), end = w.text.slice(w.at[k]).search(/\s|$/);
    r.setStart(w.node, w.at[k]);
    r.setEnd(w.node, w.at[k] + end);
    return r;
  }

  const still = window.matchMedia("(prefers-reduced-motion: reduce)");
  const follow = {
    on: true, line: null, k: -1, word: null, ours: 0, frame: 0, button: null,
    // Mark the paragraph and word heard at t; scroll to them when following (or jump).
    to(t, jump) {
      if (!lines.length) return;
      const i = lastAt(starts, t + 0.05), line = i >= 0 ? lines[i] : null;
      if (line !== this.line) {
        if (this.line) { this.line.classList.remove("current"); this.line.removeAttribute("aria-current"); }
        if (line) { line.classList.add("current"); line.setAttribute("aria-current", "true"); }
        this.line = line;
        this.k = -1;
      }
      const w = line && wordsOf(line), k = w ? lastAt(w.times, t + 0.05) : -1;
      if (k !== this.k || (k < 0 && this.word)) {
        const word = k >= 0 ? wordAt(w, k) : null;
        if (marker) { marker.clear(); if (word && !word.classList) marker.add(word); }
        if (this.word && this.word.classList) this.word.classList.remove("now");
        if (word && word.classList) word.classList.add("now");
        this.word = word;
        this.k = k;
      }
      const target = this.word || line;
      if (target && (jump || (this.on && !audio.paused))) this.reveal(target, jump);
    },
    // Scroll el (an element or a range) to the middle of the part the bar leaves free when it is
    // out of it.
    reveal(el, jump) {
      const r = el.getBoundingClientRect(), bottom = pp.classList.contains("docked") ? pp.getBoundingClientRect().top : innerHeight;
      if (!jump && r.top >= 60 && r.bottom <= bottom - 40) return;
      this.ours = Date.now();
      // Glide only over a screen or so (a longer glide lays out every paragraph it passes), and not
      // for readers who asked their system for less motion.
      const near = r.bottom > -innerHeight && r.top < 2 * innerHeight && !still.matches;
      window.scrollBy({ top: r.top + r.height / 2 - bottom / 2, behavior: jump || !near ? "auto" : "smooth" });
    },
    // Once a frame while playing: a binary search; the page changes only when the word does.
    run() {
      if (this.frame || !lines.length) return;
      const tick = () => {
        this.frame = audio.paused ? 0 : requestAnimationFrame(tick);
        this.to(audio.currentTime, false);
      };
      this.frame = requestAnimationFrame(tick);
    },
    set(on) {
      this.on = on;
      if (this.button) this.button.hidden = on || !lines.length;
      if (on && (this.word || this.line)) this.reveal(this.word || this.line, false);
    },
  };
  if (lines.length) {
    // Reading elsewhere while listening: stop following, and offer a way back.
    const b = follow.button = document.createElement("button");
    b.type = "button";
    b.className = "resume-follow";
    b.textContent = "Back to the words being heard";
    b.hidden = true;
    b.addEventListener("click", () => follow.set(true));
    document.body.append(b);
    const away = () => { if (follow.on && !audio.paused && Date.now() - follow.ours > 900) follow.set(false); };
    window.addEventListener("wheel", away, { passive: true });
    window.addEventListener("touchmove", away, { passive: true });
    document.addEventListener("keydown", (e) => {
      if (["PageUp", "PageDown", "Home", "End", "ArrowUp", "ArrowDown"].indexOf(e.key) >= 0) away();
    });
    // Paragraphs are the transcript's keyboard stops, not their timestamps.
    for (const line of lines) {
      line.tabIndex = 0;
      const ts = line.querySelector("a.ts");
      if (ts) ts.tabIndex = -1;
    }
  }

  // The time of the word at a point of the text: (node, offset) inside a paragraph's words.
  function timeAt(line, node, offset) {
    const span = line.querySelector(".words");
    let index = 0;
    if (span && span.contains(node)) {
      const r = document.createRange();
      r.setStart(span, 0);
      r.setEnd(node, offset);
      const before = r.toString();
      index = before.split(/\s+/).filter(Boolean).length;
      if (index && /\S$/.test(before)) index -= 1; // the point is inside a word: that word
    }
    const times = timesOf(line);
    return times.length ? times[Math.min(index, times.length - 1)] : parseFloat(line.getAttribute("data-start"));
  }

  // Click on a paragraph, chapter or timestamp: play from there; on a word: from that word.
  document.addEventListener("click", (e) => {
    const el = e.target.closest && e.target.closest("[data-start]");
    if (!el || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const link = e.target.closest("a[href]");
    if (link && !link.hasAttribute("data-start")) return; // a real link keeps its meaning
    const sel = window.getSelection();
    if (sel && String(sel).length > 0 && !link) return; // selecting text to share
    e.preventDefault();
    let t = parseFloat(el.getAttribute("data-start"));
    if (el.classList.contains("line") && !link) {
      if (document.caretPositionFromPoint) {
        const at = document.caretPositionFromPoint(e.clientX, e.clientY);
        if (at && at.offsetNode) t = timeAt(el, at.offsetNode, at.offset);
      } else if (document.caretRangeFromPoint) {
        const at = document.caretRangeFromPoint(e.clientX, e.clientY);
        if (at) t = timeAt(el, at.startContainer, at.startOffset);
      }
    }
    seek(t, true, !el.closest(".transcript"));
    history.replaceState(null, "", "#t=" + clock(t));
  });

  // Keyboard shortcuts (listed on the page)
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    const target = e.target, tag = target.tagName;
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag) || target.isContentEditable) return;
    const line = target.closest && target.closest(".line[data-start]");
    if (line && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      const t = parseFloat(line.getAttribute("data-start"));
      seek(t, true);
      history.replaceState(null, "", "#t=" + clock(t));
      return;
    }
    if (standby && !audio.currentSrc) return;
    const control = /^(BUTTON|A|SUMMARY)$/.test(tag);
    const keys = {
      k: () => (audio.paused ? play() : audio.pause()),
      " ": control ? null : () => (audio.paused ? play() : audio.pause()),
      j: back, ArrowLeft: back, l: ahead, ArrowRight: ahead,
      "<": () => stepSpeed(-1), ">": () => stepSpeed(1),
      p: () => toChapter(-1), n: () => toChapter(1),
      f: lines.length ? () => follow.set(!follow.on) : null,
    };
    if (e.shiftKey && /^[a-z]$/i.test(e.key)) return;
    const action = keys[e.key.length === 1 ? e.key.toLowerCase() : e.key];
    if (!action) return;
    e.preventDefault();
    action();
  });

  // Share a moment: select words of the transcript
  const canonical = document.querySelector('link[rel="canonical"]');
  const pageUrl = canonical ? canonical.href : location.href.split("#")[0];
  let share = null, chosen = null;
  function shareBox() {
    if (share) return share;
    share = document.createElement("div");
    share.className = "share";
    share.setAttribute("role", "toolbar");
    share.setAttribute("aria-label", "Share the selected words");
    share.hidden = true;
    const link = document.createElement("button"), quote = document.createElement("button");
    link.type = quote.type = "button";
    link.className = "share-link";
    quote.className = "share-quote";
    link.textContent = "Copy link to this moment";
    quote.textContent = "Copy quote";
    // Pressing a button must not drop the selection it is about.
    share.addEventListener("mousedown", (e) => e.preventDefault());
    link.addEventListener("click", () => chosen && copy(chosen.url, "Link copied"));
    quote.addEventListener("click", () => chosen && copy(chosen.quote, "Quote copied"));
    share.append(link, quote);
    document.body.append(share);
    return share;
  }
  function copy(text, done) {
    const ok = () => { status.textContent = done + ": " + text; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(ok, () => { status.textContent = text; });
    } else {
      status.textContent = text;
    }
  }
  // The selection: its first word's moment, the words and who said them.
  function selected() {
    const sel = window.getSelection();
    if (!sel || sel.isCollapsed || !sel.rangeCount) return null;
    const range = sel.getRangeAt(0);
    const inLines = lines.filter((l) => range.intersectsNode(l));
    if (!inLines.length) return null;
    const first = inLines[0];
    const startsInside = first.contains(range.startContainer);
    const t = startsInside ? timeAt(first, range.startContainer, range.startOffset) : parseFloat(first.getAttribute("data-start"));
    // Whole words: a selection beginning or ending inside a word takes all of it.
    const text = inLines.map((l) => {
      const span = l.querySelector(".words");
      if (!span) return "";
      const r = document.createRange(), whole = span.textContent;
      r.selectNodeContents(span);
      let head = "", tail = "";
      if (range.compareBoundaryPoints(Range.START_TO_START, r) > 0) {
        r.setStart(range.startContainer, range.startOffset);
        head = (/\S+$/.exec(whole.slice(0, whole.length - r.toString().length)) || [""])[0];
      }
      if (range.compareBoundaryPoints(Range.END_TO_END, r) < 0) {
        r.setEnd(range.endContainer, range.endOffset);
        const before = document.createRange();
        before.setStart(span, 0);
        before.setEnd(range.endContainer, range.endOffset);
        tail = (/^\S+/.exec(whole.slice(before.toString().length)) || [""])[0];
      }
      return head + r.toString() + tail;
    }).join(" ").replace(/\s+/g, " ").trim();
    if (!text) return null;
    const who = first.querySelector(".speaker");
    const url = pageUrl + "#t=" + clock(t);
    const title = epEl.textContent;
    return { t: t, url: url, rect: range.getBoundingClientRect(),
      quote: "“" + text + "” — " + (who ? who.textContent + ", " : "") + title + (showTitle ? " (" + showTitle + ")" : "") + " " + url };
  }
  let pending = 0;
  document.addEventListener("selectionchange", () => {
    if (!lines.length || pending) return;
    pending = setTimeout(() => {
      pending = 0;
      chosen = selected();
      const s = shareBox();
      if (!chosen) { s.hidden = true; return; }
      s.hidden = false;
      const r = chosen.rect, w = s.offsetWidth, h = s.offsetHeight;
      const below = r.bottom + h + 12 < (pp.classList.contains("docked") ? pp.getBoundingClientRect().top : innerHeight);
      s.style.top = Math.max(4, below ? r.bottom + 8 : r.top - h - 8) + "px";
      s.style.left = Math.max(4, Math.min(innerWidth - w - 4, r.left)) + "px";
    }, 120);
  });

  // Open at a moment, or offer the remembered one
  function fromHash() {
    const m = /^#t=([\d:.]+)$/.exec(location.hash);
    const t = m ? parseTime(m[1]) : null;
    if (t === null) return false;
    offer.hide();
    seek(t, false, true);
    return true;
  }
  window.addEventListener("hashchange", fromHash);
  update();
  if (!standby && !fromHash()) {
    const t = recalled();
    if (t !== null && t > 5) offer.show(t);
  }
})();
