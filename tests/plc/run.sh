#!/usr/bin/env bash
# The did:plc directory natively, as the dev profile runs it: the reference
# server (did-method-plc/did-method-plc, packages/server, dist/bin.js) on
# 127.0.0.1 with a real PostgreSQL (its migrations run at start, as upstream's
# bin.ts does), and @atproto/pds (tests/pds) pointed at it with
# PDS_DID_PLC_URL. Creates an account on the PDS, which registers its DID
# with a signed genesis operation; then resolves the DID from the directory
# (GET /<did>, /<did>/log/audit, /export) and checks that the directory refuses
# an unsigned update. Checks that every listener is on 127.0.0.1, and stops
# everything it started, also on failure.
#
# Usage: tests/plc/run.sh PLC_SRC PDS_MODULES
#   PLC_SRC      a checkout of did-method-plc at the pin in pkgs/did-method-plc/source.json;
#                built here (yarn 1.22.22 from npm, frozen lockfile) unless
#                packages/server/dist/bin.js exists
#   PDS_MODULES  node_modules of `npm ci` in tests/pds (@atproto/pds)
# Needs node (>= 20), curl, and PostgreSQL's initdb, pg_ctl and postgres (e.g.
# /usr/lib/postgresql/15/bin on PATH). As root, PostgreSQL
# runs as the `postgres` user.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "${1:?usage: run.sh PLC_SRC PDS_MODULES}" && pwd)
modules=$(cd "${2:?usage: run.sh PLC_SRC PDS_MODULES}" && pwd)
for tool in node curl initdb pg_ctl postgres; do command -v "$tool" >/dev/null || { echo "$tool is not on PATH" >&2; exit 1; }; done

bin=$src/packages/server/dist/bin.js
if [[ ! -f $bin ]]; then
  echo "building $src (yarn install --frozen-lockfile builds both workspaces)"
  (cd "$src" && npx -y yarn@1.22.22 install --frozen-lockfile --non-interactive >/dev/null)
fi
[[ -f $bin ]] || { echo "$bin was not built" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [[ -f $work/pg/data/postmaster.pid ]] && as_pg pg_ctl -D "$work/pg/data" -m fast -w stop >/dev/null 2>&1
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_http() {
  for _ in $(seq 1 150); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.2; done
  echo "no answer from $1" >&2
  return 1
}
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# PostgreSQL on a socket only (no TCP listener), in the work directory.
mkdir -p "$work/pg" "$work/sock"
[[ $(id -u) == 0 ]] && chown postgres "$work/pg" "$work/sock" && chmod 755 "$work"
as_pg initdb -D "$work/pg/data" -U plc --auth=trust >"$work/initdb.log"
as_pg pg_ctl -D "$work/pg/data" -l "$work/pg/postgres.log" -w \
  -o "-c listen_addresses= -c unix_socket_directories=$work/sock -c fsync=off" start >/dev/null
as_pg psql -h "$work/sock" -U plc -d postgres -qc 'CREATE DATABASE plc' >/dev/null

# Only the bundle, as pkgs/did-method-plc installs it: no node_modules beside it.
mkdir -p "$work/plc"
cp "$bin" "$bin.map" "$work/plc/"
plc_port=$(free_port)
plc=http://127.0.0.1:$plc_port
(cd "$work/plc" && DATABASE_URL="postgres:///plc?host=$work/sock" PGUSER=plc PORT=$plc_port \
  ATNIX_NODE_LISTEN_ADDRESS=127.0.0.1 NODE_OPTIONS="--require $here/../../lib/node-listen.cjs" \
  LOG_ENABLED=true NODE_ENV=production exec node --enable-source-maps "$work/plc/bin.js" >"$work/plc.log" 2>&1) &
pids+=($!)
wait_http "$plc/_health" || { cat "$work/plc.log" >&2; exit 1; }
echo "plc: $(curl -fsS "$plc/_health")"
grep -q 'Running migrations' "$work/plc.log"
migrations=$(as_pg psql -h "$work/sock" -U plc -d plc -Atc 'select count(*) from kysely_migration')
echo "plc: $migrations migrations applied"

pds_port=$(free_port)
(cd "$here/../pds" && NODE_PATH=$modules PDS_DATA_DIRECTORY="$work/pds" PDS_PORT=$pds_port \
  PDS_DID_PLC_URL=$plc PDS_SERVICE_HANDLE_DOMAINS=.test exec node launcher.js >"$work/pds.log" 2>&1) &
pids+=($!)
wait_http "http://127.0.0.1:$pds_port/xrpc/_health" || { cat "$work/pds.log" >&2; exit 1; }

# Only loopback listeners, for everything this script started.
listeners=$(ss -Hltnp | grep -E "pid=($(IFS='|'; echo "${pids[*]}")|$(pgrep -d'|' -P "$(IFS=,; echo "${pids[*]}")" || echo 0))," || true)
echo "$listeners" | awk '{print "listen:", $4}'
if echo "$listeners" | awk '{print $4}' | grep -qvE '^127\.0\.0\.1:'; then
  echo "a listener is not on 127.0.0.1" >&2; exit 1
fi

account=$(curl -fsS -X POST -H 'content-type: application/json' \
  -d '{"handle":"alice.test","email":"alice@example.com","password":"hunter2hunter2"}' \
  "http://127.0.0.1:$pds_port/xrpc/com.atproto.server.createAccount")
did=$(node -pe 'JSON.parse(process.argv[1]).did' "$account")
echo "pds: created alice.test as $did"
[[ $did == did:plc:* ]] || { echo "not a did:plc: $did" >&2; exit 1; }

doc=$(curl -fsS "$plc/$did")
echo "plc: GET /$did -> $doc"
node - "$did" "$doc" "$pds_port" <<'JS'
const [did, doc, port] = process.argv.slice(2)
const d = JSON.parse(doc)
const fail = (m) => { console.error(m); process.exit(1) }
if (d.id !== did) fail(`id ${d.id} is not ${did}`)
if (!(d.alsoKnownAs || []).includes('at://alice.test')) fail(`alsoKnownAs lacks at://alice.test: ${d.alsoKnownAs}`)
const pds = (d.service || []).find((s) => s.id === '#atproto_pds')
if (!pds || pds.serviceEndpoint !== `http://localhost:${port}`) fail(`no #atproto_pds at http://localhost:${port}`)
if (!(d.verificationMethod || []).some((v) => v.type === 'Multikey')) fail('no Multikey verification method')
JS
audit=$(curl -fsS "$plc/$did/log/audit")
# shellcheck disable=SC2016 # JavaScript template literal, not shell
node -e 'const a=JSON.parse(process.argv[1]); if(a.length<1||a[0].operation.type!=="plc_operation"||!a[0].operation.sig) process.exit(1); console.log(`plc: audit log ${a.length} signed operation(s), first cid ${a[0].cid}`)' "$audit"
curl -fsS "$plc/export" | grep -q "\"did\":\"$did\"" && echo "plc: /export lists $did"

# A forged update (no valid signature) must be refused by the directory.
status=$(curl -sS -o "$work/forged.json" -w '%{http_code}' -X POST -H 'content-type: application/json' \
  -d "{\"type\":\"plc_tombstone\",\"prev\":\"$(node -pe 'JSON.parse(process.argv[1])[0].cid' "$audit")\",\"sig\":\"AAAA\"}" "$plc/$did")
echo "plc: forged tombstone -> HTTP $status $(cat "$work/forged.json")"
[[ $status == 400 ]]
[[ $(curl -fsS "$plc/$did" | node -pe 'JSON.parse(require("fs").readFileSync(0)).id') == "$did" ]]
echo "ok: account on the PDS, DID registered in and resolved from the PLC directory"
