#!/usr/bin/env bash
# The network chain on loopback, natively: @atproto/pds from npm with the
# in-process PLC stand-in (tests/pds), indigo's relay crawling it, jetstream
# following the relay. Creates an account and a post (./chain.js), prints the
# seq and event seen at each hop, probes relay and jetstream with atnix probe,
# then stops the relay and checks that the probe reports it down. Stops
# everything it started, also on failure.
#
# Usage: tests/network/run-chain.sh BIN_DIR PDS_MODULES ATNIX
#   BIN_DIR      relay and jetstream built at the pins (go build ./cmd/relay, ./cmd/jetstream)
#   PDS_MODULES  node_modules of `npm ci` in a copy of tests/pds (@atproto/pds 0.4.217)
#   ATNIX        the atnix binary (for `atnix probe`)
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

NODE_PATH=$modules node --experimental-websocket --no-warnings "$here/chain.js"

# The relay writes host cursors to its database every few seconds.
sleep 5
"$atnix" probe -m relay http://127.0.0.1:2470 --host http://localhost:2583 --metrics | grep -E '^(UP|DOWN)|seq_lag|^  [a-z_]+ +(ok|failed|FAILED)'
# jetstream's first event arrives with the next post.
(sleep 1; NODE_PATH=$modules node --experimental-websocket --no-warnings "$here/chain.js" >/dev/null) &
pids+=($!)
"$atnix" probe -m jetstream ws://127.0.0.1:6008 --metrics | grep -E '^(UP|DOWN)|event_age|^  [a-z_]+ +(ok|failed|FAILED)'

kill "$relay_pid"; wait "$relay_pid" 2>/dev/null || true
if "$atnix" probe -m relay http://127.0.0.1:2470 >"$work/down.txt" 2>&1; then
  echo "the relay is stopped, but the probe says it is up" >&2
  exit 1
fi
head -1 "$work/down.txt"
echo "chain ok"
