#!/usr/bin/env bash
# The smoke check of services.bluesky.pds (tests/eval/cases/bluesky-pds.nix, case `smoke`),
# run inside the container as root after `atnix smoke` started the rendered pds.service with
# its own generated secrets and environment. Placed by tests/pds/smoke-bins.sh inside the
# local stand-in for the bluesky-pds store object.
#
# 1. a PLC stand-in (fake-plc.js, validating operations with @did-plc/lib) on 127.0.0.1:2582;
# 2. the PDS listens on 127.0.0.1:2583 only; the generated secrets are mode 0600 and the
#    rotation key is a valid secp256k1 key;
# 3. an account and a post; restart pds.service; the post is still there and the secrets
#    are unchanged;
# 4. the exporter's pds probe succeeds against it;
# 5. backup and restore: what services.restic.backups.pds runs (the prepare command, which
#    starts pds-backup-snapshot.service, then `restic backup` of the snapshot), the state
#    wiped, `systemctl start pds-restore`, and the account, its post and the secrets are back.
# Retried by atnix smoke until it passes or times out, so each attempt uses a fresh handle.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
obj=$(cd "$here/../.." && pwd)
node=$obj/bin/node
api=http://127.0.0.1:2583/xrpc
secrets=/var/lib/private/pds/secrets

# Progress goes to stderr, which atnix smoke shows when the check fails.
log() { echo "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
wait_for() { # URL SECONDS
  for _ in $(seq "$2"); do curl -sf -o /dev/null "$1" && return 0; sleep 1; done
  fail "$1 did not answer within $2 s"
}
post_json() { # URL JSON [TOKEN]
  curl -sf -X POST -H 'content-type: application/json' ${3:+-H "authorization: Bearer $3"} -d "$2" "$1"
}
field() { "$node" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];if(v===undefined)process.exit(1);console.log(v)})' "$1"; }

systemctl is-active -q fake-plc ||
  systemd-run -q --unit=fake-plc -p Environment=FAKE_PLC_PORT=2582 "$node" "$obj/lib/pds/fake-plc.js"
wait_for http://127.0.0.1:2582/_health 20
wait_for "$api/_health" 30

listeners=$(ss -Htln 'sport = :2583' | awk '{print $4}')
[[ $listeners == 127.0.0.1:2583 ]] || fail "pds listens on: $listeners (want 127.0.0.1:2583 only)"

for f in pds-jwt-secret pds-admin-password pds-plc-rotation-key-k256-private-key-hex; do
  [[ $(stat -c %a "$secrets/$f") == 600 ]] || fail "$secrets/$f is mode $(stat -c %a "$secrets/$f")"
done
key=$(< "$secrets/pds-plc-rotation-key-k256-private-key-hex")
# The key read back as @atproto/crypto does when the PDS signs a PLC operation.
(cd "$obj/lib/pds" && "$node" -e '
  const { Secp256k1Keypair } = require("@atproto/crypto")
  Secp256k1Keypair.import(process.argv[1]).then((k) => console.error("rotation key", k.did()))
' "$key") || fail "the generated rotation key does not import as secp256k1"
before=$(sha256sum "$secrets"/*)

handle="smoke$(date +%s%N | tail -c 7).pds.test"
session=$(post_json "$api/com.atproto.server.createAccount" \
  "{\"handle\":\"$handle\",\"email\":\"$handle@example.com\",\"password\":\"smoke-password\"}") ||
  fail "createAccount $handle"
did=$(field did <<<"$session")
jwt=$(field accessJwt <<<"$session")
text="hello from atnix smoke $handle"
created=$(post_json "$api/com.atproto.repo.createRecord" \
  "{\"repo\":\"$did\",\"collection\":\"app.bsky.feed.post\",\"record\":{\"\$type\":\"app.bsky.feed.post\",\"text\":\"$text\",\"createdAt\":\"$(date -u +%Y-%m-%dT%H:%M:%S.000Z)\"}}" \
  "$jwt") || fail "createRecord"
rkey=$(field uri <<<"$created" | sed 's|.*/||')
log "account $did ($handle), post $rkey"

systemctl restart pds.service
wait_for "$api/_health" 30
got=$(curl -sf "$api/com.atproto.repo.getRecord?repo=$did&collection=app.bsky.feed.post&rkey=$rkey") ||
  fail "getRecord after restart"
[[ $(field value <<<"$got" >/dev/null && "$node" -e 'console.log(JSON.parse(process.argv[1]).value.text)' "$got") == "$text" ]] ||
  fail "the post changed or vanished across the restart: $got"
[[ $(sha256sum "$secrets"/*) == "$before" ]] || fail "the generated secrets changed on restart"
log "post survived the restart; secrets unchanged"

systemctl is-active -q smoke-exporter ||
  systemd-run -q --unit=smoke-exporter "$obj/bin/atproto-exporter" --listen 127.0.0.1:9197
wait_for http://127.0.0.1:9197/metrics 20
probe=$(curl -sf "http://127.0.0.1:9197/probe?module=pds&target=http://127.0.0.1:2583") || fail "probe request"
[[ $(awk '$1 == "probe_success" { print $2 + 0 }' <<<"$probe") == 1 ]] || fail "exporter pds probe failed: $probe"
log "exporter pds probe: probe_success 1"

install -d -m 0700 /run/pds-smoke
echo /var/lib/pds-smoke-restic > /run/pds-smoke/restic-repository
echo smoke-restic-password > /run/pds-smoke/restic-password
export RESTIC_REPOSITORY_FILE=/run/pds-smoke/restic-repository RESTIC_PASSWORD_FILE=/run/pds-smoke/restic-password
restic=$(echo /nix/store/*-restic-*/bin/restic)
"$restic" --no-cache snapshots >/dev/null 2>&1 || "$restic" --no-cache init >/dev/null
systemctl start pds-backup-snapshot.service || fail "pds-backup-snapshot.service: $(journalctl -u pds-backup-snapshot -n 20 --no-pager)"
log "$(journalctl -u pds-backup-snapshot -o cat --no-pager | grep '^snapshot')"
"$restic" --no-cache backup -q /var/lib/private/pds-backup || fail "restic backup"
log "restic: $("$restic" --no-cache snapshots --json | "$node" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).map(x=>x.paths.join(",")).join(" ")))') backed up"

systemctl stop pds.service
find /var/lib/private/pds -mindepth 1 -delete
[[ -z $(ls -A /var/lib/private/pds) ]] || fail "the state directory was not wiped"
systemctl start pds-restore.service || fail "pds-restore.service: $(journalctl -u pds-restore -n 20 --no-pager)"
wait_for "$api/_health" 30
got=$(curl -sf "$api/com.atproto.repo.getRecord?repo=$did&collection=app.bsky.feed.post&rkey=$rkey") ||
  fail "getRecord after the restore"
[[ $("$node" -e 'console.log(JSON.parse(process.argv[1]).value.text)' "$got") == "$text" ]] ||
  fail "the post is not back after the restore: $got"
post_json "$api/com.atproto.server.createSession" \
  "{\"identifier\":\"$handle\",\"password\":\"smoke-password\"}" >/dev/null ||
  fail "cannot log in to $handle after the restore"
[[ $(sha256sum "$secrets"/*) == "$before" ]] || fail "the secrets differ after the restore"
pds_uid=$(ps -o uid= -p "$(systemctl show -p MainPID --value pds.service)" | tr -d ' ')
owners=$(find /var/lib/private/pds/ -printf '%U\n' | sort -u)
[[ $owners == "$pds_uid" ]] || fail "the restored files belong to uid(s) $owners, the PDS runs as $pds_uid"
ls -d /var/lib/private/pds.before-restore-* >/dev/null || fail "the state before the restore was not kept"
log "restored: account $handle logs in, its post is back, secrets unchanged"
