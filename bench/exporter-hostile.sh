#!/usr/bin/env bash
# Peak memory (VmHWM) of atproto-exporter against hostile local targets, one fresh exporter
# per scenario (issue 11, part 6), plus how long answers and /metrics take meanwhile.
# Goal: every scenario under 30 MB at the default concurrency, answers within the scrape timeout.
# Needs: python3, curl. Usage: bench/exporter-hostile.sh [exporter binary]
#   (default: a release build here; pass an older binary to compare).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -n ${1:-} ]]; then
  bin=$1
else
  cargo build --release -q -p atproto-exporter
  bin=${CARGO_TARGET_DIR:-target}/release/atproto-exporter
fi
h=bench/hostile.py
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || :; done
  wait 2>/dev/null || :
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

serve() { # scenario: port in $work/<scenario>.port
  python3 $h serve "$1" >"$work/$1.port" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 100); do [[ -s $work/$1.port ]] && break; sleep 0.05; done
}

cat >"$work/config.toml" <<'TOML'
[modules.js]
prober = "jetstream"
first_event_timeout_seconds = 30
[modules.relay]
prober = "relay"
TOML

exporter_pid= p=
start_exporter() { # sets $p (its port) and $exporter_pid
  p=$(free_port)
  "$bin" --listen "127.0.0.1:$p" --config "$work/config.toml" >/dev/null 2>"$work/exporter.log" &
  exporter_pid=$!
  pids+=($exporter_pid)
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$p/metrics" >/dev/null && break; sleep 0.05; done
}
peak_mb() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$exporter_pid/status"; }
stop_exporter() { kill "$exporter_pid"; wait "$exporter_pid" 2>/dev/null || :; }
probe() { # port query -> "seconds success"
  curl -s --max-time 60 -o "$work/answer" -w '%{time_total}' -H 'X-Prometheus-Scrape-Timeout-Seconds: 5' \
    "http://127.0.0.1:$1/probe?$2"
  echo " probe_success=$(awk '/^probe_success/ {print $2}' "$work/answer")"
}

for s in pingflood bigmsg fragmsg bigjson small; do serve $s; done
flood=$(<"$work/pingflood.port") big=$(<"$work/bigmsg.port") frag=$(<"$work/fragmsg.port")
json=$(<"$work/bigjson.port") small=$(<"$work/small.port")
printf '%-44s %10s  %s\n' scenario "peak MB" "notes (scrape timeout 5 s)"

start_exporter
r=$(probe "$p" "module=js&target=ws://127.0.0.1:$flood")
printf '%-44s %10s  %s\n' "ping flood, never reads (jetstream)" "$(peak_mb)" "answer after $r"
stop_exporter

start_exporter
r=$(probe "$p" "module=js&target=ws://127.0.0.1:$big")
printf '%-44s %10s  %s\n' "one 60 MiB message (jetstream)" "$(peak_mb)" "answer after $r"
stop_exporter

start_exporter
r=$(probe "$p" "module=pds&target=ws://127.0.0.1:$big")
printf '%-44s %10s  %s\n' "one 60 MiB message (pds firehose)" "$(peak_mb)" "answer after $r"
stop_exporter

for m in js pds; do
  start_exporter
  r=$(probe "$p" "module=$m&target=ws://127.0.0.1:$frag")
  printf '%-44s %10s  %s\n' "60 MiB in 240 fragments ($m)" "$(peak_mb)" "answer after $r"
  stop_exporter
done

start_exporter
python3 $h load "http://127.0.0.1:$p/probe?module=relay&target=http://127.0.0.1:$json" 16 >"$work/load" &
lp=$!
sleep 0.3
m=$(python3 $h timed "http://127.0.0.1:$p/metrics")
wait $lp
printf '%-44s %10s  %s\n' "16 concurrent ~4 MiB JSON bodies (relay)" "$(peak_mb)" "/metrics meanwhile in ${m}s"
stop_exporter

start_exporter
r=$(python3 $h load "http://127.0.0.1:$p/probe?module=pds&target=http://127.0.0.1:$small" 2000)
printf '%-44s %10s  %s\n' "2000 concurrent pds probes (small target)" "$(peak_mb)" "success/total, slowest s, 503s: $r"
stop_exporter

start_exporter
python3 $h halfopen "$p" 300 >"$work/half" 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do [[ -s $work/half ]] && break; sleep 0.05; done
m=$(python3 $h timed "http://127.0.0.1:$p/metrics")
sleep 6
m2=$(python3 $h timed "http://127.0.0.1:$p/metrics")
printf '%-44s %10s  %s\n' "300 half-sent requests, then /metrics" "$(peak_mb)" "/metrics in ${m}s, again after 6 s in ${m2}s"
stop_exporter
