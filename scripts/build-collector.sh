#!/usr/bin/env bash
# Builds the tests' OpenTelemetry Collector with the official builder (ocb) from
# collector/builder-config.yaml, once: the binary is cached outside the repository, in a folder
# named by a hash of the manifest, the builder version and the Go version, and reused while they
# are unchanged. Prints the binary's path as the last line of stdout; progress goes to stderr.
#
#   bash scripts/build-collector.sh            # -> /root/.cache/slack-integration-logs/otelcol/<hash>/otelcol-test
#   OTELCOL_CACHE_DIR=/some/dir bash scripts/build-collector.sh
#
# Needs Go 1.25 or later and the Go module proxy. A cold build takes about 2.5 minutes on 2 cores
# and peaks under 1 GB of memory.
set -euo pipefail

BUILDER_VERSION=v0.161.0
repo="$(cd "$(dirname "$0")/.." && pwd)"
manifest="$repo/collector/builder-config.yaml"
cache_root="${OTELCOL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/slack-integration-logs/otelcol}"

command -v go >/dev/null || { echo "build-collector: no 'go' on PATH; install Go 1.25 or later" >&2; exit 1; }
go_version="$(go env GOVERSION)"
minor="$(sed -E 's/^go1\.([0-9]+).*/\1/' <<<"$go_version")"
if [[ ! "$minor" =~ ^[0-9]+$ ]] || (( minor < 25 )); then
  echo "build-collector: $go_version is too old; the Collector v0.161.0 needs Go 1.25 or later" >&2
  exit 1
fi

key="$( { cat "$manifest"; echo "$BUILDER_VERSION $go_version"; } | sha256sum | cut -c1-16)"
dir="$cache_root/$key"
binary="$dir/otelcol-test"
if [[ -x "$binary" ]]; then
  echo "build-collector: cached $binary" >&2
  echo "$binary"
  exit 0
fi

# Module and build caches stay writable (-modcacherw) so they can be cleaned with rm -rf.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw"
mkdir -p "$cache_root"
work="$(mktemp -d "$cache_root/.build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
echo "build-collector: installing builder $BUILDER_VERSION" >&2
GOBIN="$work/bin" go install "go.opentelemetry.io/collector/cmd/builder@$BUILDER_VERSION" >&2

# The manifest has no output_path; give the builder one inside the work folder.
sed -E "s|^dist:$|dist:\n  output_path: $work/src|" "$manifest" >"$work/manifest.yaml"
echo "build-collector: building (about 2.5 minutes cold) in $work" >&2
start=$SECONDS
"$work/bin/builder" --config="$work/manifest.yaml" >&2
echo "build-collector: built in $((SECONDS - start)) s" >&2

mkdir -p "$dir"
cp "$work/src/otelcol-test" "$binary.tmp"
mv "$binary.tmp" "$binary"   # atomic: a half-copied binary is never taken for a cached one
echo "$binary"
