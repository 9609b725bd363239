#!/usr/bin/env bash
# rsky-pds with an account, natively on loopback: the PLC stand-in of the
# tests (tests/pds/fake-plc.js, operations checked with @did-plc/lib), rsky-pds
# and rsky-firehose built at pkgs/rsky's pin. Creates an account (its did:plc
# registered with the PLC) and a post through XRPC, reads the post back, reads
# the commit on the PDS's firehose with a second client, checks that
# rsky-firehose (following that firehose live) handed the post to a stand-in
# of rsky-feedgen's queue, and has the exporter's pds probe check the PDS
# (atnix probe --module pds). Stops everything it started, also on failure.
#
# Usage: tests/rsky/run-pds-account.sh BIN_DIR PDS_MODULES ATNIX
#   BIN_DIR      rsky-pds and rsky-firehose (cargo build -p rsky-pds -p rsky-firehose at the pin)
#   PDS_MODULES  node_modules of `npm ci` in a copy of tests/pds (@did-plc/lib, @atproto/*)
#   ATNIX        the atnix binary (for `atnix probe`)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${1:?usage: run-pds-account.sh BIN_DIR PDS_MODULES ATNIX}
modules=${2:?usage: run-pds-account.sh BIN_DIR PDS_MODULES ATNIX}
atnix=${3:?usage: run-pds-account.sh BIN_DIR PDS_MODULES ATNIX}
for tool in node curl python3 jq; do command -v "$tool" >/dev/null || { echo "$tool is not on PATH" >&2; exit 1; }; done

plc_port=2592 pds_port=2594 queue_port=2596
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
[ -n "${KEEP_LOGS:-}" ] && trap 'cp -r "$work" "$KEEP_LOGS"; cleanup' EXIT
fail() {
  echo "FAIL: $*" >&2
  for log in "$work"/*.log; do echo "--- $log" >&2; tail -n 20 "$log" >&2; done
  exit 1
}
wait_http() {
  for _ in $(seq 1 150); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.2; done
  fail "no answer from $1"
}
hex32() { head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n'; }

(cd "$here/../pds" && NODE_PATH=$modules FAKE_PLC_PORT=$plc_port exec node fake-plc.js >"$work/plc.log" 2>&1) &
pids+=($!)
wait_http "http://127.0.0.1:$plc_port/_health"


# The environment the module gives rsky-pds (modules/blacksky/pds.nix; its
# `workers` default of 32: with Rocket's default, one worker per CPU, a
# second firehose subscriber blocks the probe's ping on two cores),
# pointed at the stand-in PLC, with the secrets its pre-start would generate.
mkdir -p "$work/pds/blobs" "$work/pds/tmp"
(cd "$work/pds" && exec env PDS_DATA_DIRECTORY="$work/pds" PDS_BLOBSTORE_DISK_LOCATION="$work/pds/blobs" \
  PDS_BLOBSTORE_DISK_TMP_LOCATION="$work/pds/tmp" PDS_DID_PLC_URL="http://127.0.0.1:$plc_port" \
  PDS_HOSTNAME=localhost PDS_PORT=$pds_port PDS_SERVICE_DID=did:web:localhost PDS_SERVICE_HANDLE_DOMAINS=.test \
  PDS_INVITE_REQUIRED=false PDS_DEV_MODE=true ROCKET_ADDRESS=127.0.0.1 ROCKET_PORT=$pds_port ROCKET_WORKERS="${ROCKET_WORKERS:-32}" \
  PDS_ADMIN_PASSWORD="$(hex32)" PDS_DPOP_SECRET="$(hex32)" PDS_JWT_KEY_K256_PRIVATE_KEY_HEX="$(hex32)" \
  PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX="$(hex32)" PDS_REPO_SIGNING_KEY_K256_PRIVATE_KEY_HEX="$(hex32)" \
  "$bin/rsky-pds" >"$work/pds.log" 2>&1) &
pids+=($!)
pds=http://127.0.0.1:$pds_port
wait_http "$pds/xrpc/com.atproto.server.describeServer"


# The queue of rsky-feedgen that rsky-firehose hands records to (it PUTs to
# /queue/<collection>/create): a stand-in that records what it is given.
python3 -u - "$queue_port" "$work/queue.jsonl" >"$work/queue.log" 2>&1 <<'PY' &
import http.server, json, sys
port, out = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_PUT(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "a") as f:
            f.write(json.dumps({"path": self.path, "body": body.decode()}) + "\n")
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    do_POST = do_PUT
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
pids+=($!)
for _ in $(seq 1 50); do (echo > "/dev/tcp/127.0.0.1/$queue_port") 2>/dev/null && break; sleep 0.1; done

# rsky-firehose follows the PDS's firehose live, from before the account exists.
(exec env FEEDGEN_SUBSCRIPTION_PATH=ws://127.0.0.1:$pds_port FEEDGEN_QUEUE_ENDPOINT=http://127.0.0.1:$queue_port \
  RSKY_API_KEY=test-key "$bin/rsky-firehose" >"$work/firehose.log" 2>&1) &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^Connected' "$work/firehose.log" 2>/dev/null && break; sleep 0.2; done

handle="rsky$((RANDOM % 10000)).test"
acct=$(curl -sS -X POST -H 'content-type: application/json' "$pds/xrpc/com.atproto.server.createAccount" \
  -d "{\"handle\":\"$handle\",\"email\":\"$handle@example.invalid\",\"password\":\"rsky-e2e-password\"}")
did=$(jq -r '.did // empty' <<<"$acct")
token=$(jq -r '.accessJwt // empty' <<<"$acct")
if [ -z "$did" ] || [ -z "$token" ]; then fail "createAccount: $acct"; fi
echo "account $handle $did"
curl -fsS "http://127.0.0.1:$plc_port/$did" | jq -e --arg pds "$pds" '.service[0].serviceEndpoint' >/dev/null ||
  fail "the PLC has no document for $did"

post=$(curl -sS -X POST -H 'content-type: application/json' -H "authorization: Bearer $token" \
  "$pds/xrpc/com.atproto.repo.createRecord" \
  -d "{\"repo\":\"$did\",\"collection\":\"app.bsky.feed.post\",\"record\":{\"\$type\":\"app.bsky.feed.post\",\"text\":\"hello from rsky-pds\",\"createdAt\":\"$(date -u +%Y-%m-%dT%H:%M:%S.000Z)\"}}")
uri=$(jq -r '.uri // empty' <<<"$post")
[ -n "$uri" ] || fail "createRecord: $post"
echo "post $uri cid $(jq -r .cid <<<"$post")"
curl -fsS "$pds/xrpc/com.atproto.repo.getRecord?repo=$did&collection=app.bsky.feed.post&rkey=${uri##*/}" |
  jq -e '.value.text == "hello from rsky-pds"' >/dev/null || fail "getRecord does not return the post"


# The commit on the PDS's firehose, from its start (a subscriber as any
# relay would be).
NODE_PATH=$modules node --experimental-websocket - "ws://127.0.0.1:$pds_port/xrpc/com.atproto.sync.subscribeRepos?cursor=0" "$uri" \
  >"$work/subscriber.log" 2>&1 <<'JS' || fail "the post's commit is not on the PDS's firehose"
const { cborDecodeMulti } = require('@atproto/common')
const [url, uri] = process.argv.slice(2)
const path = uri.split('/').slice(3).join('/')
const ws = new WebSocket(url)
ws.binaryType = 'arraybuffer'
const timer = setTimeout(() => { console.error('no commit with', path); process.exit(1) }, 20000)
ws.onmessage = (m) => {
  const [h, b] = cborDecodeMulti(new Uint8Array(m.data))
  const op = (b.ops || []).find((o) => o.path === path)
  if (h.t === '#commit' && op) { console.log(`firehose: seq ${b.seq} ${op.action} ${op.path} cid ${op.cid}`); clearTimeout(timer); process.exit(0) }
}
JS
cat "$work/subscriber.log"

for _ in $(seq 1 100); do grep -qF "$uri" "$work/queue.jsonl" 2>/dev/null && break; sleep 0.2; done
grep -qF "$uri" "$work/queue.jsonl" 2>/dev/null || fail "rsky-firehose did not queue $uri"
echo "rsky-firehose queued the post: PUT $(grep -F "$uri" "$work/queue.jsonl" | jq -r .path | head -1)"

"$atnix" probe --module pds --timeout "${PROBE_TIMEOUT:-10}" "$pds" | tee "$work/probe.out"
grep -q 'UP' "$work/probe.out" || fail "the pds probe did not pass"
repos=$(curl -fsS "$pds/xrpc/com.atproto.sync.listRepos" | jq '.repos | length')
[ "$repos" -ge 1 ] || fail "listRepos lists no repo"
echo "PASS rsky-pds: account, post, firehose, rsky-firehose consumer, pds probe ($repos repo(s))"
