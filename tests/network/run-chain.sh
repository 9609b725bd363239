#!/usr/bin/env bash
# The network chain on loopback, natively: @atproto/pds from npm with the
# in-process PLC stand-in (tests/pds), indigo's relay crawling it, jetstream
# following the relay, spacedust (microcosm) following jetstream when BIN_DIR
# has a `spacedust`. Creates an account and a post (./chain.js), prints the
# seq and event seen at each hop,
# checks that every listener is on 127.0.0.1, has atproto-exporter probe the
# PDS, the relay (seq lag) and jetstream (event age), then stops the relay,
# checks that the exporter reports it down and that the alert rules fire on that probe result
# (promtool test rules, when promtool is on PATH). Stops
# everything it started, also on failure.
#
# Usage: tests/network/run-chain.sh BIN_DIR PDS_MODULES ATNIX [EXPORTER]
#   BIN_DIR      relay and jetstream built at the pins (go build ./cmd/relay, ./cmd/jetstream),
#                optionally spacedust (cargo build -p spacedust at pkgs/microcosm's pin)
#   PDS_MODULES  node_modules of `npm ci` in a copy of tests/pds (@atproto/pds 0.4.217)
#   ATNIX        the atnix binary
#   EXPORTER     atproto-exporter (default: beside ATNIX)
#
# The relay cannot be asked to crawl a loopback PDS: its host check and its
# identity fetches go through indigo's SSRF guard (util/ssrf, public IPs
# only), admin requestCrawl included. The host row is written into the
# relay's SQLite database instead, as a `localhost:PORT` plain-HTTP host,
# which the relay's firehose dialer exempts from the guard.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${1:?usage: run-chain.sh BIN_DIR PDS_MODULES ATNIX}
modules=${2:?usage: run-chain.sh BIN_DIR PDS_MODULES ATNIX}
atnix=${3:?usage: run-chain.sh BIN_DIR PDS_MODULES ATNIX}
exporter=${4:-$(dirname "$atnix")/atproto-exporter}
for tool in node sqlite3 curl; do command -v "$tool" >/dev/null || { echo "$tool is not on PATH" >&2; exit 1; }; done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

wait_http() {
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.2; done
  echo "no answer from $1" >&2
  return 1
}

mkdir -p "$work"/{relay,jetstream}
(cd "$here/../pds" && NODE_PATH=$modules PDS_DATA_DIRECTORY="$work/pds" PDS_PORT=2583 FAKE_PLC_PORT=2582 \
  FAKE_PLC_DOC_FORMAT=multikey exec node launcher.js >"$work/pds.log" 2>&1) &
pids+=($!)
wait_http http://127.0.0.1:2583/xrpc/_health

relay() {
  (cd "$work/relay" && RELAY_ADMIN_PASSWORD=chain-admin exec "$bin/relay" --plc-host http://127.0.0.1:2582 serve \
    --bind 127.0.0.1:2470 --metrics-listen 127.0.0.1:2471 \
    --db-url "sqlite://$work/relay/relay.sqlite" --persist-dir "$work/relay/persist" >>"$work/relay.log" 2>&1) &
  relay_pid=$!
  pids+=("$relay_pid")
  wait_http http://127.0.0.1:2470/xrpc/_health
}
# First start creates the schema; then the PDS is added as a host.
relay
kill "$relay_pid"; wait "$relay_pid" 2>/dev/null || true
sqlite3 "$work/relay/relay.sqlite" "INSERT INTO host (created_at, updated_at, hostname, no_ssl, account_limit, trusted, status, last_seq)
  VALUES (datetime('now'), datetime('now'), 'localhost:2583', 1, 100, 0, 'active', -1);"
relay

(cd "$work/jetstream" && exec "$bin/jetstream" serve --addr 127.0.0.1:6008 --debug-addr 127.0.0.1:6009 \
  --relay-url http://127.0.0.1:2470 --plc-url http://127.0.0.1:2582 --data-dir "$work/jetstream/data" \
  >"$work/jetstream.log" 2>&1) &
pids+=($!)
wait_http http://127.0.0.1:6009/healthz
for _ in $(seq 1 100); do grep -q 'steady-state consumer running' "$work/jetstream.log" && break; sleep 0.2; done

# The exporter probes every hop, as Prometheus would scrape it.
"$exporter" --listen 127.0.0.1:9197 >"$work/exporter.log" 2>&1 &
pids+=($!)
wait_http 'http://127.0.0.1:9197/metrics'
scrape() { # MODULE TARGET [RELAY_PDS_HOST]: prints the interesting lines
  curl -fsS --get --data-urlencode "module=$1" --data-urlencode "target=$2" ${3:+--data-urlencode "host=$3"} \
    http://127.0.0.1:9197/probe >"$work/scrape-$1.txt"
  grep -E '^(probe_success|atproto_relay_host_(seq|seq_lag|status|known)|atproto_firehose_head_seq|atproto_jetstream_(first_event_seconds|last_event_age_seconds))[ {]' \
    "$work/scrape-$1.txt" | sed "s/^/exporter $1: /"
}
success_of() { awk '$1 == "probe_success" {print $2 + 0}' "$work/scrape-$1.txt"; }
expect_up() {
  scrape "$@"
  [ "$(success_of "$1")" = 1 ] || { echo "the exporter reports $1 at $2 down" >&2; exit 1; }
}

ports=(2582 2583 2470 2471 6008 6009 9197)
if [ -x "$bin/spacedust" ]; then
  (cd "$work" && RUST_LOG=info exec "$bin/spacedust" --bind 127.0.0.1:8080 \
    --jetstream ws://127.0.0.1:6008/subscribe >"$work/spacedust.log" 2>&1) &
  pids+=($!)
  wait_http http://127.0.0.1:8080/
  export SPACEDUST_WS=ws://127.0.0.1:8080
  ports+=(8080)
fi

NODE_PATH=$modules node --experimental-websocket --no-warnings "$here/chain.js"

# Every listener of the chain is on loopback.
for port in "${ports[@]}"; do
  addrs=$(ss -Htln "sport = :$port" | awk '{print $4}')
  [ -n "$addrs" ] || { echo "nothing listens on port $port" >&2; exit 1; }
  if grep -qv "^127\.0\.0\.1:$port\$" <<<"$addrs"; then
    echo "port $port listens beyond loopback: $addrs" >&2
    exit 1
  fi
done
echo "listeners on 127.0.0.1 only: ${ports[*]}"

# The relay writes host cursors to its database every few seconds.
sleep 5
expect_up pds http://127.0.0.1:2583
expect_up relay http://127.0.0.1:2470 http://localhost:2583
# jetstream's first event arrives with the next post.
(sleep 1; NODE_PATH=$modules node --experimental-websocket --no-warnings "$here/chain.js" >/dev/null) &
pids+=($!)
expect_up jetstream ws://127.0.0.1:6008

kill "$relay_pid"; wait "$relay_pid" 2>/dev/null || :
scrape relay http://127.0.0.1:2470 http://localhost:2583
success=$(success_of relay)
[ "$success" = 0 ] || { echo "the relay is stopped, but the exporter says probe_success '$success'" >&2; exit 1; }

# The exporter's answer for the stopped relay, fed to the alert rules.
if command -v promtool >/dev/null; then
  cat >"$work/relay-down.test.yml" <<EOF
rule_files:
  - $here/../../contrib/prometheus/atproto-alerts.yml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'probe_success{job="atproto-relay",instance="http://127.0.0.1:2470"}'
        values: '1 ${success}x10'
    alert_rule_test:
      - eval_time: 4m
        alertname: AtprotoProbeFailing
        exp_alerts: []
      - eval_time: 7m
        alertname: AtprotoProbeFailing
        exp_alerts:
          - exp_labels: {severity: critical, job: atproto-relay, instance: "http://127.0.0.1:2470"}
            exp_annotations:
              summary: "atproto-relay probe of http://127.0.0.1:2470 is failing"
              description: "The atproto-relay probe of http://127.0.0.1:2470 has failed for 5 minutes. Run \`atnix probe --module <module> http://127.0.0.1:2470\` to see which step fails."
EOF
  promtool test rules "$work/relay-down.test.yml"
fi
echo "chain ok"
