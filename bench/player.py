"""The episode page's budgets, on a 60-minute transcript, in Chromium.

    PYTHONPATH=. python bench/player.py [--show BUILT_SHOW] [--node-modules DIR] [--runs N] [--slowdown 4]

The page is the sample show's 231-second reading, looped 16 times (62 minutes): its MP3 joined end
to end with ffmpeg, and its real Whisper transcript (words and times) repeated at the same offsets,
shaped into the page's transcript by the same code a build uses, with a chapter every five minutes.
``--show`` takes a show already built (its cache holds the transcript); without it the sample show
is built in a temporary folder first (a few minutes: it transcribes).

Printed against each budget: Lighthouse 12.2.3 (mobile preset) scores for performance,
accessibility, best practices and SEO; axe-core's violations; the page's own CSS and JavaScript in
bytes; and the long tasks (over 50 ms, Long Tasks API) while the page plays, seeks to words and
follows, each with the CPU the page's main thread spent in it (from Chromium's trace of the same
run: on a shared machine other processes stretch short tasks past 50 ms, and only a task over 50 ms
of the page's own CPU is the page's doing). The long page and, as a baseline, the sample's own
4-minute page are measured alternately, ``--runs`` times each; ``--slowdown 4`` slows the CPU as
Lighthouse's mobile preset does. Lighthouse and axe-core come from npm: ``npm i -E
lighthouse@12.2.3 axe-core@4.10.2`` in the folder given by --node-modules (its parent), default
``bench/node_modules``.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from toolkit.content.article import article, page_html  # noqa: E402
from toolkit.show import Chapter  # noqa: E402
from toolkit.speech.transcript import Transcript  # noqa: E402

SLUG = "what-printers-knew-about-pipelines"
LOOPS = 16
CHROMIUM = "/usr/bin/chromium"


def built_show(given: str | None, work: Path) -> Path:
    if given:
        return Path(given)
    from toolkit.build.pipeline import build

    show = work / "show"
    show.mkdir()
    for name in ("podkit.toml", "artwork.png"):
        shutil.copy(REPO / name, show)
    shutil.copytree(REPO / "episodes", show / "episodes")
    print("building the sample show (transcribes: a few minutes) ...", flush=True)
    build(show)
    return show


def long_transcript(show: Path) -> Transcript:
    """The reading's transcript from the show's cache, repeated LOOPS times end to end."""
    found = [p for p in (show / ".podkit" / "transcribe").rglob("transcript.json")
             if json.loads(p.read_text())["duration"] > 200]
    if not found:
        sys.exit(f"{show}: no transcript of the {SLUG} episode in the cache; build the show first")
    data = json.loads(found[0].read_text())
    one = data["duration"]
    segments = []
    for k in range(LOOPS):
        for s in data["segments"]:
            shifted = dict(s, start=s["start"] + k * one, end=s["end"] + k * one,
                           words=[dict(w, start=w["start"] + k * one, end=w["end"] + k * one) for w in s["words"]])
            segments.append(shifted)
    return Transcript.from_dict(dict(data, duration=one * LOOPS, segments=segments))


def long_site(show: Path, work: Path) -> tuple[Path, float]:
    """A copy of the built site whose reading episode lasts 62 minutes, transcript and audio."""
    site = work / "public"
    shutil.copytree(show / "public", site)
    folder = site / "episodes" / SLUG
    mp3 = folder / f"{SLUG}.mp3"
    longer = work / "long.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", str(LOOPS - 1), "-i", str(mp3), "-c", "copy",
                    str(longer)], check=True)
    shutil.move(longer, mp3)
    transcript = long_transcript(show)
    chapters = [Chapter(float(t), f"Part {i + 1}") for i, t in enumerate(range(0, int(transcript.duration), 300))]
    body = page_html(article(transcript, chapters))
    page = folder / "index.html"
    html = page.read_text()
    head = '<h2 id="transcript-heading">Transcript</h2>\n'
    start = html.index(head) + len(head)
    end = html.index("</section>", start)
    page.write_text(html[:start] + body + html[end:])
    return site, transcript.duration


def lighthouse(node_modules: Path, url: str, out: Path) -> dict[str, float]:
    binary = node_modules / ".bin" / "lighthouse"
    if not binary.exists():
        print(f"Lighthouse: not run, {binary} is missing (npm i -E lighthouse@12.2.3)")
        return {}
    env = dict(os.environ, CHROME_PATH=CHROMIUM)
    flags = "--headless=new --no-sandbox --disable-gpu"
    run = subprocess.run([str(binary), url, f"--chrome-flags={flags}", "--output=json", f"--output-path={out}",
                          "--quiet"], env=env, capture_output=True, text=True)
    if run.returncode or not out.exists():
        print(f"Lighthouse: failed: {run.stderr.strip()[-600:]}")
        return {}
    report = json.loads(out.read_text())
    audits = report["audits"]
    metrics = ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift",
               "speed-index"]
    print("Lighthouse metrics: " + ", ".join(f"{m} {audits[m]['displayValue']} ({audits[m]['score']})"
                                              for m in metrics if m in audits))
    return {k: v["score"] for k, v in report["categories"].items()}


@dataclass(frozen=True)
class LongTask:
    """A task of the page's main thread over 50 ms, as the Long Tasks API saw it, with the CPU time
    Chromium's trace gives that thread during it. On a shared machine other processes stretch a
    task's wall time (what the API measures); its CPU time is what the page itself spent."""

    start: float  # ms from the page's time origin
    duration: float  # ms, wall time
    cpu: float  # ms the main thread ran meanwhile, by its own clock; the duration if the trace cannot tell

    @property
    def the_pages_own(self) -> bool:
        return self.cpu > 50


WATCH_JS = """() => {
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push([e.startTime, e.duration]);
  }).observe({type: 'longtask'});
  performance.mark('podkit-watch');
  const audio = document.getElementById('player');
  audio.playbackRate = 2;
  return audio.play();
}"""

# Scroll paragraph i of n into view as a reader would, and say where a word of it is on screen.
WORD_AT_JS = """([i, n]) => {
  const lines = document.querySelectorAll('.transcript .line');
  const line = lines[Math.floor(i * (lines.length - 1) / Math.max(1, n - 1))];
  line.scrollIntoView({block: 'center'});
  const r = line.querySelector('.words').getClientRects()[0];
  return {x: r.left + Math.min(40, r.width / 2), y: r.top + r.height / 2, start: parseFloat(line.dataset.start)};
}"""

TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "blink.user_timing"]


def play_and_seek(browser: Any, page: Any, trace: Path, seeks: int = 10) -> tuple[list[LongTask], dict[str, Any]]:
    """Play the episode page at 2x and seek across the whole hour as a listener would: ``seeks``
    jumps of the scrubber with the page following; then, following turned off (F), as many clicks
    on a word of paragraphs spread over the transcript; then following again for three seconds.
    Returns the long tasks meanwhile, and what the page showed at the end with, under ``busiest``,
    the most CPU any one task of the page's main thread took (ms)."""
    browser.start_tracing(page=page, path=str(trace), categories=TRACE_CATEGORIES)
    try:
        page.evaluate(WATCH_JS)
        lines = page.evaluate("[...document.querySelectorAll('.transcript .line')].map(l => +l.dataset.start)")
        for i in range(seeks):
            start = lines[(2 * i + 1) * (len(lines) - 1) // (2 * seeks)]
            page.evaluate(f"document.getElementById('player').currentTime = {start + 1}")
            page.wait_for_timeout(500)
        page.keyboard.press("f")  # the reader reads elsewhere: the page stops following
        clicked = 0  # clicks on a word that played from inside its paragraph
        for i in range(seeks):
            at = page.evaluate(WORD_AT_JS, [i, seeks])
            page.mouse.click(at["x"], at["y"])
            t = page.evaluate("document.getElementById('player').currentTime")
            clicked += at["start"] - 0.5 <= t < at["start"] + 60
            page.wait_for_timeout(500)
        page.keyboard.press("f")
        page.wait_for_timeout(3000)
        shown = page.evaluate("""() => { const a = document.getElementById('player'); a.pause();
            const h = window.CSS && CSS.highlights && CSS.highlights.get('now');
            return {marked: h ? h.size : document.querySelectorAll('.wd.now').length, at: a.currentTime,
                    lines: document.querySelectorAll('.transcript .line').length}; }""")
        shown["clicked"] = clicked
        found = page.evaluate("window.__longTasks")
    finally:
        browser.stop_tracing()
    tasks, busiest = with_cpu(found, trace)
    return tasks, dict(shown, busiest=busiest)


def with_cpu(found: list[list[float]], trace: Path) -> tuple[list[LongTask], float]:
    """The long tasks with the main thread's CPU time in each, from the trace of the same run, and
    the most CPU any one task took after the watch began."""
    events = json.loads(trace.read_text())["traceEvents"]
    mark = next(e for e in events if e.get("name") == "podkit-watch")
    # Trace times are microseconds on the same clock as the page's; the mark ties the two together.
    origin = mark["ts"] - mark["args"]["data"]["startTime"] * 1000
    main = sorted((e for e in events if e.get("pid") == mark["pid"] and e.get("tid") == mark["tid"]
                   and "tts" in e and e["ts"] >= mark["ts"]), key=lambda e: e["ts"])
    tasks = [e for e in main if e.get("name") == "RunTask" and e.get("ph") == "X"]
    if len(tasks) < 100:
        raise RuntimeError(f"{trace}: the trace holds {len(tasks)} tasks of the page's main thread")
    times = [e["ts"] for e in main]
    out = []
    for start, duration in found:
        begin, end = origin + start * 1000, origin + (start + duration) * 1000
        # The thread's own clock (tts) at the last event before the task and the first after it:
        # the CPU it had in between, the task's and a sliver either side.
        i, j = bisect.bisect_right(times, begin) - 1, bisect.bisect_left(times, end)
        cpu = (main[j]["tts"] - main[i]["tts"]) / 1000 if i >= 0 and j < len(main) else duration
        out.append(LongTask(start, duration, cpu))
    return out, max(e.get("tdur", 0) for e in tasks) / 1000


def in_browser(node_modules: Path, urls: dict[str, str], runs: int, slowdown: float, work: Path) -> None:
    """axe-core on the long page, then the long tasks on it and on the baseline, runs alternating,
    the CPU slowed down ``slowdown`` times (Chromium's throttling, as Lighthouse's mobile preset does)."""
    from playwright.sync_api import sync_playwright

    args = ["--autoplay-policy=no-user-gesture-required", "--disable-gpu"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        page = browser.new_page(viewport={"width": 360, "height": 740})
        page.goto(urls["long"])
        page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=30000)
        axe = node_modules / "axe-core" / "axe.min.js"
        if axe.exists():
            page.add_script_tag(path=str(axe))
            violations = page.evaluate("axe.run().then(r => r.violations.map(v => v.id + ': ' + v.nodes.length))")
            print(f"axe-core violations: {len(violations)} (budget 0) {violations or ''}")
        else:
            print(f"axe-core: not run, {axe} is missing (npm i -E axe-core@4.10.2)")
        page.close()
        print(f"long tasks while playing at 2x, seeking to words and following (budget 0), CPU slowed {slowdown}x, "
              "each with the CPU the page spent in it:")
        for run in range(runs):
            for name, url in urls.items():
                page = browser.new_page(viewport={"width": 360, "height": 740})
                if slowdown > 1:
                    page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": slowdown})
                page.goto(url)
                page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=30000)
                tasks, shown = play_and_seek(browser, page, work / "trace.json")
                own = [t for t in tasks if t.the_pages_own]
                print(f"  run {run + 1}, {name} page ({shown['lines']} paragraphs): {len(tasks)} long tasks, "
                      f"longest {max((t.duration for t in tasks), default=0):.0f} ms; "
                      f"{len(own)} of them over 50 ms of the page's own CPU; "
                      f"the busiest task took {shown['busiest']:.0f} ms of CPU; word marked: {shown['marked'] == 1}")
                page.close()
        browser.close()


def own_bytes(site: Path, page: Path) -> int:
    html = page.read_text()
    names = re.findall(r'(?:href|src)="(?:\.\./)*(static/[^"]+\.(?:css|js))"', html)
    return sum((site / n).stat().st_size for n in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", help="a built show (default: build the sample show)")
    parser.add_argument("--node-modules", default=str(REPO / "bench" / "node_modules"))
    parser.add_argument("--report", help="keep Lighthouse's JSON report here")
    parser.add_argument("--runs", type=int, default=2, help="long-task runs of each page, alternating")
    parser.add_argument("--slowdown", type=float, default=1, help="slow the CPU down this many times (e.g. 4)")
    opts = parser.parse_args()
    node_modules = Path(opts.node_modules)
    from toolkit.publish.serve import make_server

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        show = built_show(opts.show, work)
        site, duration = long_site(show, work)
        page = site / "episodes" / SLUG / "index.html"
        server = make_server(site, 0)
        baseline = make_server(show / "public", 0)
        for s in (server, baseline):
            threading.Thread(target=s.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/episodes/{SLUG}/"
        try:
            print(f"episode page: {duration / 60:.0f}-minute transcript, {page.stat().st_size / 1024:.0f} KB of HTML")
            size = own_bytes(site, page)
            print(f"own CSS + JavaScript: {size / 1024:.1f} KB (budget 40 KB, ratio {size / 40960:.2f})")
            scores = lighthouse(node_modules, url, work / "lighthouse.json")
            if opts.report and (work / "lighthouse.json").exists():
                shutil.copy(work / "lighthouse.json", opts.report)
            budgets = {"performance": 0.95, "accessibility": 1.0, "best-practices": 1.0, "seo": 1.0}
            for name, budget in budgets.items():
                if name in scores:
                    ok = "ok" if scores[name] is not None and scores[name] >= budget else "OVER BUDGET"
                    print(f"Lighthouse {name}: {scores[name]} (budget >= {budget}) {ok}")
            short = f"http://127.0.0.1:{baseline.server_address[1]}/episodes/{SLUG}/"
            in_browser(node_modules, {"long": url, "baseline": short}, opts.runs, opts.slowdown, work)
        finally:
            for s in (server, baseline):
                s.shutdown()
                s.server_close()


if __name__ == "__main__":
    main()
