#!/usr/bin/env bash
# Creates the two Python virtual environments the detection tests need, under .detections/ (ignored
# by git), from the pinned requirement files. Re-running is cheap: a venv whose requirement file
# has not changed is kept.
#   .detections/venv-loki      sigma-cli, pySigma 1.5 with the Loki and DuckDB backends, pytest
#   .detections/venv-datadog   pySigma 0.11 with the Datadog backend (it needs the older pySigma)
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "detections need Python 3.10 or later (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'

make_venv() {
  local name=$1 requirements=$2
  local dir=.detections/venv-$name stamp=.detections/venv-$name/.requirements.sha256
  local want
  want=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then return; fi
  echo "== creating $dir from $requirements"
  rm -rf "$dir"
  "$PYTHON" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --require-virtualenv -r "$requirements"
  # Every installed package must be one the file pins, at its version: nothing resolved on the side.
  local extra
  extra=$(comm -23 <("$dir/bin/python" -m pip freeze --disable-pip-version-check | sort -f) <(grep -v '^#' "$requirements" | grep . | sort -f))
  if [[ -n $extra ]]; then
    echo "error: $dir has packages $requirements does not pin: $extra; add them to the file" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
}

mkdir -p .detections
make_venv loki detections/requirements-loki.txt
make_venv datadog detections/requirements-datadog.txt
