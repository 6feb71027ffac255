#!/usr/bin/env bash
# Install what the tests need, then run the linter and the test suite.
# System packages (Chromium and a CJK font, for the landing-page tests) are installed with
# apt-get when running as root, as in CI; otherwise install them by hand (see README).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if ! { command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; }; then
  missing+=(fonts-noto-cjk)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  else
    echo "Not root: install ${missing[*]} yourself; the landing-page tests need them." >&2
  fi
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
.venv/bin/ruff check src tests bench scripts
.venv/bin/ruff format --check src tests bench scripts
exec .venv/bin/python -m pytest "$@"
