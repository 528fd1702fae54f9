#!/usr/bin/env bash
# npm run test:detections: the detection pack's tests. Creates the pinned Python environments
# (setup.sh), builds dist/ (the records come from the real CLI), then runs pytest on
# test/detections. `--regenerate` first rewrites the generated rules, monitors and dashboard panel
# from detections/rules/; other arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PYTHONDONTWRITEBYTECODE=1
bash scripts/detections/setup.sh
npm run build --silent >/dev/null
args=()
for arg in "$@"; do
  if [[ $arg == --regenerate ]]; then
    .detections/venv-loki/bin/python scripts/detections/generate.py
  else
    args+=("$arg")
  fi
done
exec .detections/venv-loki/bin/python -m pytest test/detections -p no:cacheprovider -q -rs "${args[@]}"
