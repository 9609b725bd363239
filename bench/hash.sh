#!/usr/bin/env bash
# Benchmark `atnix hash` against `nix-hash --type sha256` in one go:
#   (a) about 1 GiB in 8 large files   goal: atnix speed >= 0.95x nix-hash
#   (b) 100,000 small files             goal: atnix speed >= 2x nix-hash
# Builds release atnix, generates both trees under a temporary directory in /tmp
# (removed on exit), warms the page cache, times 3 runs of each tool (runs
# interleaved) and prints the medians and the speed ratios nix-hash/atnix.
# Also prints OpenSSL's one-core SHA-256 throughput, the bound for (a).
#
# Usage: bench/hash.sh            (from anywhere; needs cargo, nix-hash, python3)
#        ATNIX=/path/to/atnix bench/hash.sh   to skip the build
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=3

if [[ -z "${ATNIX:-}" ]]; then
  echo "building release atnix..." >&2
  cargo build --release --quiet -p atnix --manifest-path "$repo/Cargo.toml"
  ATNIX="${CARGO_TARGET_DIR:-$repo/target}/release/atnix"
fi
command -v nix-hash >/dev/null || { echo "nix-hash not found (apt-get install nix-bin)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is needed to generate the trees" >&2; exit 1; }

work=$(mktemp -d /tmp/atnix-bench-hash.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "generating trees in $work..." >&2
python3 - "$work" <<'PY'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(7)
block = bytes(rnd.getrandbits(8) for _ in range(1 << 20))
large = os.path.join(root, "large")
os.makedirs(large)
for i in range(8):  # 8 x 128 MiB = 1 GiB
    with open(os.path.join(large, f"blob{i}.bin"), "wb") as f:
        for j in range(128):
            f.write(block[j:] + block[:j])
small = os.path.join(root, "small")
n = 0
for d in range(100):
    for s in range(10):
        dd = os.path.join(small, f"d{d:03}", f"s{s}")
        os.makedirs(dd)
        for k in range(100):  # 100,000 files, 0-4 KiB
            size = rnd.randint(0, 4096)
            off = rnd.randint(0, len(block) - size)
            p = os.path.join(dd, f"f{k:03}.txt")
            with open(p, "wb") as f:
                f.write(block[off:off + size])
            if k % 7 == 0:
                os.chmod(p, 0o755)
            n += 1
assert n == 100_000
PY
sync

now() { date +%s.%N; }
time_one() { # prints seconds for one run of "$@", output discarded
  local t0 t1
  t0=$(now); "$@" >/dev/null; t1=$(now)
  echo "$t1 - $t0" | bc -l
}
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }

bench() { # name path
  local name=$1 path=$2 a n
  # Same answer, and a warm cache for both.
  a=$("$ATNIX" hash --hex "$path")
  n=$(nix-hash --type sha256 "$path")
  if [[ "$a" != "$n" ]]; then
    echo "MISMATCH on $name: atnix $a, nix-hash $n" >&2
    exit 1
  fi
  local at=() nt=()
  for _ in $(seq "$runs"); do
    nt+=("$(time_one nix-hash --type sha256 "$path")")
    at+=("$(time_one "$ATNIX" hash "$path")")
  done
  local am nm
  am=$(median "${at[@]}"); nm=$(median "${nt[@]}")
  printf '%-22s nix-hash %6.3fs  atnix %6.3fs  speed ratio (nix-hash/atnix) %5.2fx\n' \
    "$name" "$nm" "$am" "$(echo "$nm / $am" | bc -l)"
  echo "  runs nix-hash: ${nt[*]}" >&2
  echo "  runs atnix:    ${at[*]}" >&2
}

echo "atnix: $ATNIX"
echo "cores: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg)"
if command -v openssl >/dev/null; then
  echo "openssl speed -evp sha256 -bytes 16384 (one core, 1000s of bytes/s):"
  openssl speed -evp sha256 -bytes 16384 2>/dev/null | tail -1
fi
bench "(a) 1 GiB, 8 files" "$work/large"
bench "(b) 100,000 files" "$work/small"
echo "goals: (a) >= 0.95x, (b) >= 2x"
