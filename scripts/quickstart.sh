#!/usr/bin/env bash
# Set up everything podkit needs on a fresh machine, then build the sample show into public/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
.venv/bin/podkit build --show .
cat <<MSG

Done. The sample show is in public/:
  public/index.html      the site (episode pages, transcripts, player)
  public/feed.xml        the podcast feed
Browse it with:  .venv/bin/podkit serve   then open http://127.0.0.1:8000/
MSG
