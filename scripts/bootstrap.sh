#!/usr/bin/env bash
# Make this checkout ready to run: system tools (as root, through apt), then a virtual
# environment in .venv with podkit installed in editable mode.
#   scripts/bootstrap.sh          what `podkit build` needs
#   scripts/bootstrap.sh --test   plus what the test suite needs (Chromium, both Whisper engines,
#                                 axe-core from npm for the accessibility tests)
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

need_apt=()
command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || need_apt+=(ffmpeg)
if [ "$want_test" = 1 ]; then
    [ -x /usr/bin/chromium ] || need_apt+=(chromium)
    command -v npm >/dev/null 2>&1 || need_apt+=(npm)
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bootstrap: installing system packages: ${need_apt[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
    else
        echo "bootstrap: please install these system packages first: ${need_apt[*]}" >&2
        exit 1
    fi
fi

py=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "bootstrap: creating .venv"
    "$py" -m venv .venv
fi
pip=(.venv/bin/python -m pip install -q --disable-pip-version-check)
stamp=.venv/.podkit-installed
extras=base,diarize
[ "$want_test" = 1 ] && extras=base,diarize,dev,openai,cluster
fingerprint="$extras $(sha256sum pyproject.toml scripts/bootstrap.sh | sha256sum | cut -c1-16)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$fingerprint" ]; then
    echo "bootstrap: installing Python packages ($extras)"
    "${pip[@]}" --upgrade pip
    "${pip[@]}" -e ".[$extras]"
    if [ "$want_test" = 1 ]; then
        # CI tests both engines; --no-deps keeps out triton (GPU-only), the rest came with [openai].
        "${pip[@]}" --no-deps "openai-whisper==20250625"
    fi
    echo "$fingerprint" > "$stamp"
fi
if [ "$want_test" = 1 ] && [ ! -f bench/node_modules/axe-core/axe.min.js ]; then
    echo "bootstrap: installing axe-core (npm) into bench/node_modules"
    npm install --silent --no-audit --no-fund --no-save --no-package-lock --prefix bench axe-core@4.10.2 >/dev/null
fi
