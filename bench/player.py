"""The episode page's budgets, on a 60-minute transcript, in Chromium.

    PYTHONPATH=. python bench/player.py [--show BUILT_SHOW] [--node-modules DIR]

The page is the sample show's 231-second reading, looped 16 times (62 minutes): its MP3 joined end
to end with ffmpeg, and its real Whisper transcript (words and times) repeated at the same offsets,
shaped into the page's transcript by the same code a build uses, with a chapter every five minutes.
``--show`` takes a show already built (its cache holds the transcript); without it the sample show
is built in a temporary folder first (a few minutes: it transcribes).

Printed against each budget: Lighthouse 12.2.3 (mobile preset) scores for performance,
accessibility, best practices and SEO; axe-core's violations; the page's own CSS and JavaScript in
bytes; and the long tasks (over 50 ms, Long Tasks API) while the page plays, seeks to words and
follows. Lighthouse and axe-core come from npm: ``npm i -E lighthouse@12.2.3 axe-core@4.10.2`` in
the folder given by --node-modules (its parent), default ``bench/node_modules``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

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


BROWSER_JS = """async ([duration]) => {
  const audio = document.getElementById('player');
  const long = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) long.push(e.duration); })
    .observe({type: 'longtask'});
  audio.playbackRate = 2;
  await audio.play();
  const lines = document.querySelectorAll('.transcript .line');
  // Seek to a word in twenty paragraphs across the hour, following while it plays.
  for (let i = 0; i < 20; i++) {
    const line = lines[Math.floor(i * (lines.length - 1) / 19)];
    audio.currentTime = parseFloat(line.dataset.start) + 1;
    await new Promise((r) => setTimeout(r, 500));
  }
  await new Promise((r) => setTimeout(r, 5000));
  audio.pause();
  return {long: long, marked: !!document.querySelector('.wd.now'), lines: lines.length};
}"""


def in_browser(node_modules: Path, url: str, duration: float) -> None:
    from playwright.sync_api import sync_playwright

    args = ["--autoplay-policy=no-user-gesture-required", "--disable-gpu"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        page = browser.new_page(viewport={"width": 360, "height": 740})
        page.goto(url)
        page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=30000)
        axe = node_modules / "axe-core" / "axe.min.js"
        if axe.exists():
            page.add_script_tag(path=str(axe))
            violations = page.evaluate("axe.run().then(r => r.violations.map(v => v.id + ': ' + v.nodes.length))")
            print(f"axe-core violations: {len(violations)} (budget 0) {violations or ''}")
        else:
            print(f"axe-core: not run, {axe} is missing (npm i -E axe-core@4.10.2)")
        result = page.evaluate(BROWSER_JS, [duration])
        tasks = result["long"]
        print(f"long tasks while playing, seeking and following: {len(tasks)} "
              f"(budget 0; longest {max(tasks, default=0):.0f} ms) over {result['lines']} paragraphs; "
              f"word marked: {result['marked']}")
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
    opts = parser.parse_args()
    node_modules = Path(opts.node_modules)
    from toolkit.publish.serve import make_server

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        show = built_show(opts.show, work)
        site, duration = long_site(show, work)
        page = site / "episodes" / SLUG / "index.html"
        server = make_server(site, 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
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
            in_browser(node_modules, url, duration)
        finally:
            server.shutdown()
            server.server_close()


if __name__ == "__main__":
    main()
