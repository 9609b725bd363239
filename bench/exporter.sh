#!/usr/bin/env bash
# Benchmark of atproto-exporter against a loopback @atproto/pds 0.4.x (tests/pds):
#   - probe latency (probe_duration_seconds) of the `pds` module with and without
#     the firehose checks; goal: median well under 50 ms,
#   - exporter RSS while probing (4 concurrent scrapers); goal: < 30 MB,
#   - for comparison, prometheus-blackbox-exporter's http module on /xrpc/_health
#     (one GET, no ATProto checks) when it is installed.
# Needs: node 20, `npm ci --prefix tests/pds`, cargo, curl, python3.
# Usage: bench/exporter.sh [probes]   (default 200 per measurement)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

N=${1:-200}
target_dir=${CARGO_TARGET_DIR:-target}
for tool in node curl python3 cargo; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 1; }
done
[[ -e tests/pds/node_modules/@atproto/pds/package.json ]] || {
  echo "bench: run 'npm ci --prefix tests/pds' first" >&2
  exit 1
}

# ATPROTO_EXPORTER_BIN: an already built binary (otherwise a release build here).
if [[ -n ${ATPROTO_EXPORTER_BIN:-} ]]; then
  exporter_bin=$ATPROTO_EXPORTER_BIN
else
  cargo build --release -q -p atproto-exporter
  exporter_bin=$target_dir/release/atproto-exporter
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pds_port=$(free_port) plc_port=$(free_port) exp_port=$(free_port) bb_port=$(free_port)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || :; done
  wait 2>/dev/null || :
  rm -rf "$work"
}
trap cleanup EXIT

(cd tests/pds && PDS_DATA_DIRECTORY=$work/pds PDS_PORT=$pds_port FAKE_PLC_PORT=$plc_port exec node launcher.js >"$work/pds.log" 2>&1) &
pids+=($!)
pds=http://127.0.0.1:$pds_port
for _ in $(seq 300); do curl -sf "$pds/xrpc/_health" >/dev/null && break; sleep 0.1; done
curl -sf "$pds/xrpc/_health" >/dev/null || { cat "$work/pds.log"; echo "bench: PDS did not start" >&2; exit 1; }

# One account and one post, so listRepos and the firehose carry data.
account=$(curl -sf -X POST "$pds/xrpc/com.atproto.server.createAccount" -H 'content-type: application/json' \
  -d '{"email":"bench@example.test","handle":"bench.test","password":"bench-password-1"}')
jwt=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["accessJwt"])' "$account")
did=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["did"])' "$account")
curl -sf -X POST "$pds/xrpc/com.atproto.repo.createRecord" -H "authorization: Bearer $jwt" -H 'content-type: application/json' \
  -d "{\"repo\":\"$did\",\"collection\":\"app.bsky.feed.post\",\"record\":{\"\$type\":\"app.bsky.feed.post\",\"text\":\"bench\",\"createdAt\":\"2026-01-01T00:00:00.000Z\"}}" >/dev/null

cat >"$work/exporter.toml" <<TOML
[modules.pds_http]
prober = "pds"
firehose = false
TOML
"$exporter_bin" --listen "127.0.0.1:$exp_port" --config "$work/exporter.toml" 2>"$work/exporter.log" &
exp_pid=$!
pids+=("$exp_pid")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$exp_port/metrics" >/dev/null && break; sleep 0.05; done

# measure URL N OUT: N sequential probes; writes probe_duration_seconds (or curl time) per line.
measure() {
  local url=$1 n=$2 out=$3
  : >"$out"
  for _ in $(seq "$n"); do
    curl -sf -w '\ncurl_time %{time_total}\n' "$url" | awk '
      /^probe_success / { ok = $2 }
      /^probe_duration_seconds / { d = $2 }
      /^curl_time / { t = $2 }
      END { if (d == "") d = t; print d, (ok == "" ? "1" : ok) }' >>"$out"
  done
}
stats() {
  python3 - "$1" "$2" <<'PY'
import sys, statistics
name, path = sys.argv[1], sys.argv[2]
rows = [l.split() for l in open(path) if l.strip()]
d = sorted(float(r[0]) * 1e3 for r in rows)
ok = sum(1 for r in rows if float(r[1]) == 1.0)
p = lambda q: d[min(len(d) - 1, int(q * len(d)))]
print(f"{name:<34} n={len(d):<4} success={ok}/{len(d)}  p50={statistics.median(d):7.2f} ms  p95={p(0.95):7.2f} ms  max={d[-1]:7.2f} ms")
PY
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

probe_pds="http://127.0.0.1:$exp_port/probe?module=pds&target=$pds"
probe_http="http://127.0.0.1:$exp_port/probe?module=pds_http&target=$pds"
measure "$probe_pds" 10 "$work/out.warm"
measure "$probe_pds" "$N" "$work/out.pds"
measure "$probe_http" "$N" "$work/out.pds_http"

# RSS while 4 scrapers probe concurrently.
scrapers=()
for i in 1 2 3 4; do
  measure "$probe_pds" "$((N / 2))" "$work/out.conc.$i" &
  scrapers+=($!)
done
max_rss=0
alive() {
  local p
  for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done
  return 1
}
while alive "${scrapers[@]}"; do
  r=$(rss_kb "$exp_pid")
  if ((r > max_rss)); then max_rss=$r; fi
  sleep 0.05
done
wait "${scrapers[@]}"
cat "$work"/out.conc.* >"$work/out.conc"

echo "atproto-exporter $("$exporter_bin" --version | awk '{print $2}'), @atproto/pds $(node -p 'require("./tests/pds/node_modules/@atproto/pds/package.json").version'), $(nproc) cores"
stats "pds (health+describe+listRepos+fh)" "$work/out.pds"
stats "pds_http (no firehose)" "$work/out.pds_http"
stats "pds, 4 concurrent scrapers" "$work/out.conc"
echo "exporter RSS: max sampled $((max_rss / 1024)) MB while probing, VmHWM $(($(hwm_kb "$exp_pid") / 1024)) MB"

if command -v prometheus-blackbox-exporter >/dev/null; then
  cat >"$work/blackbox.yml" <<YML
modules:
  http_2xx:
    prober: http
    timeout: 5s
YML
  prometheus-blackbox-exporter --config.file="$work/blackbox.yml" --web.listen-address="127.0.0.1:$bb_port" 2>"$work/bb.log" &
  bb_pid=$!
  pids+=("$bb_pid")
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$bb_port/metrics" >/dev/null && break; sleep 0.05; done
  measure "http://127.0.0.1:$bb_port/probe?module=http_2xx&target=$pds/xrpc/_health" "$N" "$work/out.bb"
  stats "blackbox http_2xx (_health only)" "$work/out.bb"
  echo "blackbox_exporter RSS: $(($(rss_kb "$bb_pid") / 1024)) MB, VmHWM $(($(hwm_kb "$bb_pid") / 1024)) MB"
fi

python3 - "$work/out.pds" "$max_rss" <<'PY'
import sys, statistics
d = [float(l.split()[0]) * 1e3 for l in open(sys.argv[1]) if l.strip()]
p50, rss = statistics.median(d), int(sys.argv[2]) / 1024
print(f"goal ratios: latency p50 {p50:.2f} ms / 50 ms = {p50 / 50:.2f}; RSS {rss:.1f} MB / 30 MB = {rss / 30:.2f} (below 1 meets the goal)")
PY
