// The search page: Pagefind's indexes (built offline at publish time) queried from the browser.
// The primary bundle holds titles and show notes; the transcripts are in bundles of their own
// (data-merge), merged into it. A page found in several bundles is listed once. A hit inside a
// transcript links to that moment of the episode (#t=seconds), found from the id of the
// paragraph the hit is in (t<milliseconds>).
(function () {
  "use strict";
  var script = document.currentScript;
  var root = (script && script.getAttribute("data-root")) || "";
  var merge = ((script && script.getAttribute("data-merge")) || "").split(" ").filter(Boolean);
  var input = document.getElementById("q"), list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  if (!input || !list) return;
  var pagefind = null, runId = 0;

  function load() {
    if (!pagefind) {
      pagefind = import(new URL(root + "pagefind/pagefind.js", location.href).href).then(function (pf) {
        // Result URLs are root-relative ("/episodes/x/"); they are made relative to this page below.
        return pf.options({ baseUrl: "/" }).then(function () {
          return Promise.all(merge.map(function (path) {
            return pf.mergeIndex(new URL(root + path + "/", location.href).href, { baseUrl: "/" });
          }));
        }).then(function () { return pf; });
      });
    }
    return pagefind;
  }

  // Pagefind's excerpt marks hits with <mark>; keep only text and marks, whatever else it holds.
  function excerpt(html) {
    var out = document.createElement("p");
    var doc = new DOMParser().parseFromString("<body>" + html + "</body>", "text/html");
    doc.body.childNodes.forEach(function (node) {
      if (node.nodeType === 3) out.appendChild(document.createTextNode(node.textContent));
      else if (node.nodeName === "MARK") { var m = document.createElement("mark"); m.textContent = node.textContent; out.appendChild(m); }
      else out.appendChild(document.createTextNode(node.textContent || ""));
    });
    return out;
  }

  // The transcript paragraph that holds the first hit (the last t<ms> anchor at or before it), and an
  // excerpt from that paragraph around that hit: the link and the words shown are of the same moment.
  function moment(data) {
    var hit = (data.locations && data.locations.length) ? data.locations[0] : null;
    if (hit === null || !data.anchors) return null;
    var best = null, next = null;
    data.anchors.forEach(function (a) {
      if (!/^t\d+$/.test(a.id)) return;
      if (a.location <= hit && (!best || a.location >= best.location)) best = a;
      if (a.location > hit && (!next || a.location < next.location)) next = a;
    });
    if (!best) return null;
    var words = (data.raw_content || "").split(/[\r\n\s]+/g), hits = {};
    data.locations.forEach(function (l) { hits[l] = true; });
    var from = Math.max(best.location, hit - 12), to = Math.min(next ? next.location : words.length, hit + 18);
    var html = [];
    for (var i = from; i < to; i++) html.push(hits[i] ? "<mark>" + words[i] + "</mark>" : words[i]);
    return { t: parseInt(best.id.slice(1), 10) / 1000,
             excerpt: (from > best.location ? "… " : "") + html.join(" ") + (to < (next ? next.location : words.length) ? " …" : "") };
  }

  function clock(seconds) {
    var s = Math.floor(seconds), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
    var ss = String(s % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + ss : m + ":" + ss;
  }

  function run(query) {
    var id = ++runId;
    list.textContent = "";
    if (!query.trim()) { status.textContent = ""; return; }
    status.textContent = "Searching…";
    load().then(function (pf) { return pf.search(query); }).then(function (search) {
      return Promise.all(search.results.slice(0, 40).map(function (r) { return r.data(); }));
    }).then(function (found) {
      if (id !== runId) return;
      // One entry per page, where its best hit ranked; the moment from its first transcript hit.
      var byUrl = {}, results = [];
      found.forEach(function (data) {
        var seen = byUrl[data.url];
        var at = moment(data);
        if (!seen) {
          seen = byUrl[data.url] = { data: data, t: at && at.t, excerpt: at ? at.excerpt : data.excerpt };
          results.push(seen);
        } else if (seen.t === null && at) {
          seen.t = at.t;
          seen.excerpt = at.excerpt;
          seen.data = data;
        }
      });
      results = results.slice(0, 20);
      status.textContent = results.length ? results.length + " episode" + (results.length === 1 ? "" : "s") + " found"
                                          : "Nothing found for “" + query + "”.";
      results.forEach(function (hit) {
        var li = document.createElement("li"), h = document.createElement("h2"), a = document.createElement("a");
        var data = hit.data, t = hit.t, url = root + data.url.replace(/^\//, "");
        a.href = t === null ? url : url + "#t=" + Math.round(t * 100) / 100;
        a.textContent = (data.meta && data.meta.title) || data.url;
        h.appendChild(a);
        li.appendChild(h);
        if (t !== null) {
          var when = document.createElement("p");
          when.className = "meta";
          when.textContent = "at " + clock(t);
          li.appendChild(when);
        }
        li.appendChild(excerpt(hit.excerpt || ""));
        list.appendChild(li);
      });
    }).catch(function (err) {
      if (id === runId) status.textContent = "Search is not available here (" + err.message + ").";
    });
  }

  var q = new URLSearchParams(location.search).get("q") || "";
  input.value = q;
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      history.replaceState(null, "", "?q=" + encodeURIComponent(input.value));
      run(input.value);
    }, 200);
  });
  input.form.addEventListener("submit", function (event) { event.preventDefault(); run(input.value); });
  if (q) run(q);
})();
