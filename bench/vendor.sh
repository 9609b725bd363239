#!/usr/bin/env bash
# Benchmark `atnix vendor-hash cargo` against `cargo vendor` in one go, on the
# Cargo.lock shipped in the sd 1.0.0 crate (112 packages, 111 from crates.io):
#   cold: atnix with an empty --cache-dir  vs  cargo vendor with an empty CARGO_HOME
#         goal: atnix wall time <= 0.5x cargo vendor's
#   warm: atnix again with the filled cache   goal: < 1 s (no network is used)
# Downloads sd-1.0.0.crate from crates.io, unpacks it under a temporary directory
# (removed on exit), times 3 interleaved runs of each and prints medians and the ratio.
#
# Usage: bench/vendor.sh            (from anywhere; needs cargo, curl, tar, python3)
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

curl -sSfL https://static.crates.io/crates/sd/sd-1.0.0.crate | tar -xz -C "$work"
src="$work/sd-1.0.0"
echo "lockfile: $src/Cargo.lock ($(grep -c '^\[\[package\]\]' "$src/Cargo.lock") packages)" >&2

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }

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
python3 - "${cold_atnix[*]}" "${warm_atnix[*]}" "${cold_cargo[*]}" <<'PY'
import statistics, sys
cold, warm, cargo = ([float(x) for x in a.split()] for a in sys.argv[1:4])
mc, mw, mv = statistics.median(cold), statistics.median(warm), statistics.median(cargo)
print(f"cold atnix vendor-hash cargo: {mc:.2f} s  (runs: {', '.join(f'{x:.2f}' for x in cold)})")
print(f"cold cargo vendor:            {mv:.2f} s  (runs: {', '.join(f'{x:.2f}' for x in cargo)})")
print(f"warm atnix vendor-hash cargo: {mw:.3f} s  (runs: {', '.join(f'{x:.3f}' for x in warm)})")
print(f"ratio atnix/cargo vendor (cold): {mc / mv:.2f}  (goal <= 0.50: {'MET' if mc / mv <= 0.5 else 'NOT MET'})")
print(f"warm run under 1 s: {'MET' if mw < 1 else 'NOT MET'}")
PY
