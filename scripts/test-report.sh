#!/usr/bin/env bash
# `npm run test:report`: the inventory's HTML report in a real headless Chromium, Debian's package
# (puppeteer-core drives it and downloads no browser). Installs Chromium when it is missing;
# CHROMIUM_PATH names another binary.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_PATH" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test:report: $CHROMIUM_PATH is missing; install it (sudo apt-get install chromium) or set CHROMIUM_PATH" >&2
    exit 1
  fi
  echo "test:report: installing Chromium and a font from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
"$CHROMIUM_PATH" --version
npx vitest run --config vitest.report.config.ts
