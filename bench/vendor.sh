#!/usr/bin/env bash
# Benchmark `atnix vendor-hash` against the peer tools, cargo then Go.
#
# cargo: on the Cargo.lock shipped in the sd 1.0.0 crate (112 packages, 111 from crates.io):
#   cold: atnix with an empty --cache-dir  vs  cargo vendor with an empty CARGO_HOME
#         goal: atnix wall time <= 0.5x cargo vendor's
#   warm: atnix again with the filled cache   goal: < 1 s (no network is used)
# Downloads sd-1.0.0.crate from crates.io and unpacks it under a temporary directory.
#
# go: on duf v0.9.0's go.mod/go.sum and imports (crates/atnix/tests/vectors/go/duf-0.9.0,
# 18 modules from proxy.golang.org):
#   cold: atnix vendor-hash go with an empty --cache-dir  vs  go mod vendor with an empty
#         GOMODCACHE and GOCACHE, both with buildGoModule's settings (GO111MODULE=on,
#         GOTOOLCHAIN=local, no GOFLAGS, no go env file)
#         goal: atnix wall time <= 0.5x go mod vendor's
#   warm: atnix again with the filled cache and GOPROXY=off   goal: < 1 s
# duf's module takes atnix's in-process path (no `go` run but `go env`); pass
# ATNIX_BENCH_VIA_GO=1 to time the `go mod vendor` fallback path instead.
#
# Everything lives under a temporary directory (removed on exit). Each section times
# 3 interleaved runs of each command and prints medians and the ratio.
#
# Usage: bench/vendor.sh [cargo|go]...   (default: both; needs cargo, go, curl, tar, python3)
#        ATNIX=/path/to/atnix bench/vendor.sh   to skip the build
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=3

if [[ -z "${ATNIX:-}" ]]; then
  echo "building release atnix..." >&2
  cargo build --release --quiet -p atnix --manifest-path "$repo/Cargo.toml"
  ATNIX="${CARGO_TARGET_DIR:-$repo/target}/release/atnix"
fi

work=$(mktemp -d /tmp/atnix-bench-vendor.XXXXXX)
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }

# report NAME PEER COLD_TIMES WARM_TIMES PEER_TIMES
report() {
  python3 - "$@" <<'PY'
import statistics, sys
name, peer = sys.argv[1:3]
cold, warm, other = ([float(x) for x in a.split()] for a in sys.argv[3:6])
mc, mw, mv = statistics.median(cold), statistics.median(warm), statistics.median(other)
w = max(len(name), len(peer)) + 7
print(f"{'cold ' + name + ':':<{w}} {mc:.2f} s  (runs: {', '.join(f'{x:.2f}' for x in cold)})")
print(f"{'cold ' + peer + ':':<{w}} {mv:.2f} s  (runs: {', '.join(f'{x:.2f}' for x in other)})")
print(f"{'warm ' + name + ':':<{w}} {mw:.3f} s  (runs: {', '.join(f'{x:.3f}' for x in warm)})")
print(f"ratio {name} / {peer} (cold): {mc / mv:.2f}  (goal <= 0.50: {'MET' if mc / mv <= 0.5 else 'NOT MET'})")
print(f"warm run under 1 s: {'MET' if mw < 1 else 'NOT MET'}")
PY
}

bench_cargo() {
  curl -sSfL https://static.crates.io/crates/sd/sd-1.0.0.crate | tar -xz -C "$work"
  src="$work/sd-1.0.0"
  echo "lockfile: $src/Cargo.lock ($(grep -c '^\[\[package\]\]' "$src/Cargo.lock") packages)" >&2

  cold_atnix=() warm_atnix=() cold_cargo=()
  for i in $(seq "$runs"); do
    cache="$work/atnix-cache-$i"
    t0=$(now)
    "$ATNIX" vendor-hash cargo "$src/Cargo.lock" --cache-dir "$cache" >"$work/hash-cold" 2>/dev/null
    t1=$(now)
    cold_atnix+=("$(elapsed "$t0" "$t1")")

    t0=$(now)
    HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 \
      "$ATNIX" vendor-hash cargo "$src/Cargo.lock" --cache-dir "$cache" >"$work/hash-warm" 2>/dev/null
    t1=$(now)
    warm_atnix+=("$(elapsed "$t0" "$t1")")
    cmp -s "$work/hash-cold" "$work/hash-warm" || { echo "cold and warm hashes differ" >&2; exit 1; }

    t0=$(now)
    CARGO_HOME="$work/cargo-home-$i" cargo vendor --locked --quiet \
      --manifest-path "$src/Cargo.toml" "$work/vendor-$i" >/dev/null
    t1=$(now)
    cold_cargo+=("$(elapsed "$t0" "$t1")")
    rm -rf "$cache" "$work/cargo-home-$i" "$work/vendor-$i"
  done

  echo "cargoHash: $(tail -n1 "$work/hash-cold")"
  report "atnix vendor-hash cargo" "cargo vendor" "${cold_atnix[*]}" "${warm_atnix[*]}" "${cold_cargo[*]}"
}

bench_go() {
  local src="$work/duf" go_env
  mkdir -p "$src"
  cp "$repo"/crates/atnix/tests/vectors/go/duf-0.9.0/{go.mod,go.sum,imports.go} "$src/"
  echo "go.sum: $src/go.sum ($(grep -vc '/go.mod ' "$src/go.sum") module zips), $(go version)" >&2
  go_env=(env -u GOFLAGS -u GOPROXY -u GOSUMDB -u GOWORK GO111MODULE=on GOTOOLCHAIN=local GOENV=off)
  local via=()
  [[ -z "${ATNIX_BENCH_VIA_GO:-}" ]] || via=(--via-go)

  cold_atnix=() warm_atnix=() cold_go=()
  for i in $(seq "$runs"); do
    cache="$work/atnix-go-cache-$i"
    t0=$(now)
    "${go_env[@]}" "$ATNIX" vendor-hash go "$src" "${via[@]}" --cache-dir "$cache" >"$work/go-hash-cold" 2>/dev/null
    t1=$(now)
    cold_atnix+=("$(elapsed "$t0" "$t1")")

    t0=$(now)
    "${go_env[@]}" GOPROXY=off HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 \
      "$ATNIX" vendor-hash go "$src" "${via[@]}" --cache-dir "$cache" >"$work/go-hash-warm" 2>/dev/null
    t1=$(now)
    warm_atnix+=("$(elapsed "$t0" "$t1")")
    cmp -s "$work/go-hash-cold" "$work/go-hash-warm" || { echo "cold and warm hashes differ" >&2; exit 1; }

    rm -rf "$src/vendor"
    t0=$(now)
    (cd "$src" && "${go_env[@]}" GOMODCACHE="$work/gomodcache-$i" GOCACHE="$work/gocache-$i" \
      GOPATH="$work/gopath-$i" go mod vendor 2>/dev/null)
    t1=$(now)
    cold_go+=("$(elapsed "$t0" "$t1")")
    chmod -R u+w "$work/gomodcache-$i"
    rm -rf "$cache" "$work/gomodcache-$i" "$work/gocache-$i" "$work/gopath-$i" "$src/vendor"
  done

  echo "vendorHash: $(tail -n1 "$work/go-hash-cold")"
  report "atnix vendor-hash go" "go mod vendor" "${cold_atnix[*]}" "${warm_atnix[*]}" "${cold_go[*]}"
}

sections=("$@")
[[ ${#sections[@]} -gt 0 ]] || sections=(cargo go)
for section in "${sections[@]}"; do
  case $section in
    cargo) bench_cargo ;;
    go) bench_go ;;
    *) echo "unknown section $section (cargo or go)" >&2; exit 2 ;;
  esac
done
