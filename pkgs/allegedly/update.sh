#!/usr/bin/env bash
# Re-pin at-microcosm/allegedly to the newest commit of its default branch and
# recompute the source hash and cargoHash in ./source.json with atnix.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
url=https://github.com/at-microcosm/allegedly
rev=$(git ls-remote "$url" HEAD | cut -f1)
atnix prefetch "$url" --rev "$rev" --write "$here/source.json"
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
git -C "$src" init -q
git -C "$src" fetch -q --depth 1 "$url" "$rev"
git -C "$src" checkout -q FETCH_HEAD
atnix vendor-hash cargo "$src/Cargo.lock" --write "$here/source.json"
