#!/usr/bin/env bash
# Failover of two relay nodes behind HAProxy, on several hosts made of network
# namespaces (issue 19, part 3). Run as root; see tests/production/README.md.
#
#   db      192.0.2.10  PostgreSQL (Debian's, throwaway cluster) and MinIO
#   app1    192.0.2.11  indigo relay, DATABASE_URL = the shared database
#   app2    192.0.2.12  indigo relay, same database
#   lb      192.0.2.20  HAProxy: health checks on /xrpc/_health, both nodes
#   client  192.0.2.30  tests/production/failover_client.py
#
# The hosts hang off a bridge in a namespace of its own; no namespace has a
# default route, so nothing leaves 192.0.2.0/24. Every namespace, process and
# file the script makes is removed on exit, also on failure.
#
# Usage: tests/production/run-failover.sh RELAY MINIO
#   RELAY  indigo's cmd/relay built at pkgs/indigo's pin
#   MINIO  minio built at the release nixpkgs packages, or `none`: then the
#          object store is left out and the run says so (CI: MinIO's release
#          is not on the Go module proxy; tests/production/ci.sh)
# Environment: LOAD_SECONDS (default 12), KILL_AFTER (default 3) seconds.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
relay_bin=$(realpath "${1:?usage: run-failover.sh RELAY MINIO}")
minio_bin=${2:?usage: run-failover.sh RELAY MINIO}
[[ $minio_bin == none ]] || minio_bin=$(realpath "$minio_bin")
load_seconds=${LOAD_SECONDS:-12}
kill_after=${KILL_AFTER:-3}

[[ $EUID -eq 0 ]] || { echo "run-failover.sh makes network namespaces: run it as root" >&2; exit 1; }
pg_bin=$(printf "%s\n" /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
[[ -x $pg_bin/postgres ]] || { echo "no PostgreSQL server: apt-get install -y postgresql" >&2; exit 1; }
id postgres >/dev/null 2>&1 || { echo "no postgres user: apt-get install -y postgresql" >&2; exit 1; }
for tool in ip haproxy python3 curl setpriv; do
  command -v "$tool" >/dev/null || { echo "$tool is not on PATH (haproxy: apt-get install -y haproxy)" >&2; exit 1; }
done
[[ -x $relay_bin ]] || { echo "$relay_bin is not an executable" >&2; exit 1; }
if [[ $minio_bin != none ]]; then
  [[ -x $minio_bin ]] || { echo "$minio_bin is not an executable" >&2; exit 1; }
  python3 -c 'import boto3' 2>/dev/null || { echo "python3 cannot import boto3 (pip install boto3)" >&2; exit 1; }
fi

tag=afo$$
hosts=(db app1 app2 lb client)
declare -A addr=([db]=192.0.2.10 [app1]=192.0.2.11 [app2]=192.0.2.12 [lb]=192.0.2.20 [client]=192.0.2.30)
namespaces=()
pids=()
work=$(mktemp -d /tmp/atnix-failover.XXXXXX)
chmod 755 "$work"

cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || :; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || :
  done
  wait 2>/dev/null || :
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || :; done
  if ((status != 0)); then
    for log in "$work"/*.log; do [[ -e $log ]] && { echo "--- $(basename "$log") (last lines)"; tail -n 15 "$log"; }; done >&2
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_ns() { local ns=$tag-$1; shift; ip netns exec "$ns" "$@"; }
# spawn HOST USER LOG CMD...: starts CMD in the background in HOST's namespace
# as USER, in $work; every step execs, so the recorded pid ($!) is CMD's own.
spawn() {
  local ns=$tag-$1 user=$2 log=$3
  shift 3
  (cd "$work" && exec ip netns exec "$ns" setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups --no-new-privs \
    "$@" >>"$log" 2>&1) &
  pids+=($!)
}
now_ms() { date +%s%3N; }

# wait_for WHAT TRIES COMMAND...: bounded wait, 0.1 s between tries; gives up
# early when the last process spawned has exited.
wait_for() {
  local what=$1 tries=$2
  shift 2
  for _ in $(seq 1 "$tries"); do
    "$@" >/dev/null 2>&1 && return 0
    if ((${#pids[@]} > 0)) && ! kill -0 "${pids[-1]}" 2>/dev/null; then
      echo "gave up waiting for $what: the process started last (pid ${pids[-1]}) has exited; its log is below" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "timed out waiting for $what" >&2
  return 1
}

# --- Network: one bridge, five hosts, no route out -------------------------
ip netns add "$tag-sw"
namespaces+=("$tag-sw")
ip -n "$tag-sw" link add br0 type bridge
ip -n "$tag-sw" link set br0 up
for host in "${hosts[@]}"; do
  ip netns add "$tag-$host"
  namespaces+=("$tag-$host")
  ip -n "$tag-sw" link add "p-$host" type veth peer name eth0 netns "$tag-$host"
  ip -n "$tag-sw" link set "p-$host" master br0 up
  ip -n "$tag-$host" addr add "${addr[$host]}/24" dev eth0
  ip -n "$tag-$host" link set eth0 up
  ip -n "$tag-$host" link set lo up
done
for host in "${hosts[@]}"; do
  if ip -n "$tag-$host" route show default | grep -q .; then
    echo "namespace $tag-$host has a default route" >&2
    exit 1
  fi
done
echo "network: ${hosts[*]} on 192.0.2.0/24 (namespaces $tag-*), no default route"

# --- db: PostgreSQL and MinIO ----------------------------------------------
mkdir -p "$work/pg" "$work/pgsock" "$work/s3" "$work/secrets"
chown postgres: "$work/pg" "$work/pgsock"
chown nobody: "$work/s3"
chmod 700 "$work/secrets"
secret() { head -c 18 /dev/urandom | base64 | tr '+/' '-_'; }
db_password=$(secret)
export RELAY_ADMIN_PASSWORD
RELAY_ADMIN_PASSWORD=$(secret)
secret >"$work/secrets/s3-access-key"
secret >"$work/secrets/s3-secret-key"

runuser -u postgres -- "$pg_bin/initdb" -D "$work/pg" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
  >"$work/initdb.log" 2>&1
cat >>"$work/pg/postgresql.conf" <<EOF
listen_addresses = '${addr[db]}'
unix_socket_directories = '$work/pgsock'
max_connections = 100
EOF
# Password (SCRAM) over TCP from the two app hosts only.
cat >"$work/pg/pg_hba.conf" <<EOF
local all postgres trust
host relay relay ${addr[app1]}/32 scram-sha-256
host relay relay ${addr[app2]}/32 scram-sha-256
EOF
spawn db postgres "$work/postgres.log" "$pg_bin/postgres" -D "$work/pg"
psql_db() { runuser -u postgres -- psql -h "$work/pgsock" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
wait_for "PostgreSQL" 100 psql_db -c 'select 1'
psql_db -c "create role relay login password '$db_password'" -c "create database relay owner relay"
echo "db: PostgreSQL $(psql_db -c 'show server_version') on ${addr[db]}:5432"

if [[ $minio_bin == none ]]; then
  echo "s3: NOT EXERCISED: no MinIO binary given"
  s3_line="not exercised (no MinIO binary given)"
else
  spawn db nobody "$work/minio.log" env MINIO_ROOT_USER="$(cat "$work/secrets/s3-access-key")" \
    MINIO_ROOT_PASSWORD="$(cat "$work/secrets/s3-secret-key")" MINIO_BROWSER=off \
    "$minio_bin" server --quiet --address "${addr[db]}:9000" --console-address "${addr[db]}:9001" "$work/s3"
  wait_for "MinIO" 150 in_ns client curl -fsS "http://${addr[db]}:9000/minio/health/live"
  in_ns client python3 -B "$here/failover_client.py" s3 "http://${addr[db]}:9000" \
    "$work/secrets/s3-access-key" "$work/secrets/s3-secret-key"
  s3_line="MinIO on ${addr[db]}:9000: bucket created, object written and read back with boto3"
fi

# --- app1, app2: the relay on the shared database --------------------------
export DATABASE_URL="postgres://relay:$db_password@${addr[db]}:5432/relay?sslmode=disable"
declare -A relay_pid
start_relay() { # HOST
  local host=$1
  mkdir -p "$work/$host/persist"
  chown -R nobody: "$work/$host"
  # The relay resolves identities only while crawling; no host is added, so
  # the PLC address is never dialled (and nothing answers there).
  spawn "$host" nobody "$work/$host.log" "$relay_bin" --plc-host "http://${addr[db]}:9" serve \
    --bind "${addr[$host]}:2470" --metrics-listen "${addr[$host]}:2471" --max-db-conn 10 \
    --persist-dir "$work/$host/persist"
  relay_pid[$host]=${pids[-1]}
  wait_for "the relay on $host" 150 in_ns client curl -fsS "http://${addr[$host]}:2470/xrpc/_health"
}
start_relay app1
# The disk persister keeps its index of event-log files in the database
# (table log_file_refs) and the files in the node's own persist dir: a second
# node on the same database resumes from app1's newest file, by name.
first_log=$(psql_db -d relay -c 'select path from log_file_refs order by seq_start desc limit 1')
mkdir -p "$work/app2/persist"
touch "$work/app2/persist/$first_log"
start_relay app2
echo "app: relay on app1 (pid ${relay_pid[app1]}) and app2 (pid ${relay_pid[app2]}), database relay on ${addr[db]}"

# --- lb: HAProxy -----------------------------------------------------------
cat >"$work/haproxy.cfg" <<EOF
global
  maxconn 512
defaults
  mode http
  timeout connect 1s
  timeout client 10s
  timeout server 10s
  # A refused connection is retried, the last time on the other server.
  retries 2
  option redispatch 1
frontend relay
  bind ${addr[lb]}:8080
  default_backend relays
backend relays
  balance roundrobin
  option httpchk GET /xrpc/_health
  http-check expect status 200
  default-server inter 500ms fall 2 rise 2
  http-response set-header X-Atnix-Backend %s
  server app1 ${addr[app1]}:2470 check
  server app2 ${addr[app2]}:2470 check
listen stats
  bind ${addr[lb]}:8404
  stats enable
  stats uri /stats
EOF
haproxy -c -q -f "$work/haproxy.cfg"
spawn lb nobody "$work/haproxy.log" haproxy -db -f "$work/haproxy.cfg"
lb=http://${addr[lb]}:8080
stats="http://${addr[lb]}:8404/stats;csv"
both_up() { [[ $(in_ns client curl -fsS "$stats" | grep -c '^relays,app[12],.*,UP,') == 2 ]]; }
wait_for "HAProxy to see both nodes up" 100 both_up
echo "lb: HAProxy $(haproxy -v | awk 'NR==1 {print $3}') on ${addr[lb]}:8080, both nodes UP"

# --- client: data, failover, recovery --------------------------------------
rows() { psql_db -d relay -c 'select count(*) from domain_bans'; }
client() { in_ns client python3 -B "$here/failover_client.py" "$@"; }
state=$work/state.json
client seed "$lb" "$state" 20
rows_before=$(rows)

client load "$lb" "$state" "$stats" "$load_seconds" "${relay_pid[app1]}" "$kill_after" | tee "$work/load.out"
{ wait "${relay_pid[app1]}"; } 2>/dev/null || :
rows_after_failover=$(rows)

start_relay app1
wait_for "HAProxy to see app1 up again" 100 both_up
client verify "$state" "http://${addr[app1]}:2470" "http://${addr[app2]}:2470" "$lb" "$lb"
rows_after=$(rows)
acked=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["acked"]))' "$state")
[[ $rows_after == "$rows_after_failover" ]] || { echo "rows changed across app1's restart: $rows_after_failover -> $rows_after" >&2; exit 1; }
((rows_after >= acked)) || { echo "$rows_after rows, but $acked writes were acknowledged" >&2; exit 1; }

summary=$(sed -n 's/^load: //p' "$work/load.out")
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$summary" "$1"; }
cat <<EOF
summary:
  requests through the LB during the load: $(field requests) ($(field writes) writes, $(field reads) reads) in ${load_seconds} s, app1 SIGKILLed after ${kill_after} s
  request errors during failover:         $(field errors_during_failover) of $(field requests_after_kill) after the kill (failed writes: $(field failed_writes), stale reads: $(field stale_reads))
  time to recover (last error after kill): $(field time_to_recover_ms) ms; HAProxy marked app1 DOWN after $(field haproxy_marks_app1_down_ms) ms
  rows in domain_bans: $rows_before after seeding, $rows_after_failover after the failover, $rows_after after app1's restart ($acked acknowledged writes, none lost)
  app1 restarted: serves all $acked acknowledged writes, directly and through the LB
  object store: $s3_line
failover ok
EOF
