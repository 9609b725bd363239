#!/usr/bin/env bash
# Builds indigo's relay at pkgs/indigo's pin through the Go module proxy into
# DIR (for the `failover` step of scripts/test; .ci/run calls it). Skips the
# build when DIR already holds this version. About 2 minutes of CPU.
#
# Usage: tests/production/build-relay.sh DIR
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
dir=${1:?usage: build-relay.sh DIR}
# The module proxy serves the pin only as a pseudo-version, whose timestamp is
# the commit's (not in source.json); its hash suffix must be the pinned rev.
version=v0.0.0-20260818202247-4b983a7e86c8
rev=$(sed -n 's/^ *"rev": *"\([0-9a-f]*\)".*/\1/p' pkgs/indigo/source.json)
if [[ ${version##*-} != "${rev:0:12}" ]]; then
  echo "pkgs/indigo/source.json pins $rev, but build-relay.sh builds $version: update its pseudo-version" \
    "(go list -m -json github.com/bluesky-social/indigo@v0.0.0-<commit time, UTC, YYYYmmddHHMMSS>-${rev:0:12})" >&2
  exit 1
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [[ $(cat "$dir/relay.version" 2>/dev/null) == "$version" && -x $dir/relay ]]; then
  exit 0
fi
env -u GOFLAGS GOBIN="$dir" GOTOOLCHAIN=local go install "github.com/bluesky-social/indigo/cmd/relay@$version"
echo "$version" >"$dir/relay.version"
