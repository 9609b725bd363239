#!/usr/bin/env bash
# Failover of two relay nodes behind HAProxy, on several hosts made of network
# namespaces (issue 19, part 3), in the production profile's form: each node
# is a whole relay with its own database on the db host's PostgreSQL (TLS,
# verify-full), and the two are each other's --sibling-relays, so admin
# requests one node takes are forwarded to the other. Run as root; see
# tests/production/README.md.
#
#   db      192.0.2.10  db.relay.test    PostgreSQL (Debian's, throwaway cluster,
#                                        databases relay_app1 and relay_app2) and MinIO
#   app1    192.0.2.11  app1.relay.test  indigo relay on :80, sibling app2.relay.test
#   app2    192.0.2.12  app2.relay.test  indigo relay on :80, sibling app1.relay.test
#   lb      192.0.2.20  lb.relay.test    HAProxy: health checks on /xrpc/_health
#   client  192.0.2.30  client.relay.test  tests/production/failover_client.py
#
# Names: `ip netns exec NS` bind-mounts /etc/netns/NS/hosts over /etc/hosts,
# so every namespace resolves the names above without DNS (a sibling must be a
# DNS name without a port: relay.ParseHostname at the pin).
# The hosts hang off a bridge in a namespace of its own; no namespace has a
# default route, so nothing leaves 192.0.2.0/24. Every namespace, process and
# file the script makes is removed on exit, also on failure.
#
# Usage: tests/production/run-failover.sh RELAY MINIO
#   RELAY  indigo's cmd/relay built at pkgs/indigo's pin
#   MINIO  minio built at the release nixpkgs packages, or `none`: then the
#          object store is left out and the run says so (CI: MinIO's release
#          is not on the Go module proxy)
# Environment: LOAD_SECONDS (default 12), KILL_AFTER (default 3) seconds;
# FORWARD_GRACE (default 1) seconds before the kill in which a write may miss
# the sibling because its forward was cut off by the kill; MAX_UNFORWARDED
# (default 3) percent of the writes taken under load while both nodes were up
# that may miss the sibling (the relay drops some forwards under concurrent
# load: README). KEEP_LOGS=DIR: copy the logs, the state file and the row
# lists there on exit.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
relay_bin=$(realpath "${1:?usage: run-failover.sh RELAY MINIO}")
minio_bin=${2:?usage: run-failover.sh RELAY MINIO}
[[ $minio_bin == none ]] || minio_bin=$(realpath "$minio_bin")
load_seconds=${LOAD_SECONDS:-12}
kill_after=${KILL_AFTER:-3}
forward_grace=${FORWARD_GRACE:-1}
max_unforwarded=${MAX_UNFORWARDED:-3}
# The relay's forwards, curl and urllib would honour a proxy from the caller.
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

[[ $EUID -eq 0 ]] || { echo "run-failover.sh makes network namespaces: run it as root" >&2; exit 1; }
pg_bin=$(printf "%s\n" /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
[[ -x $pg_bin/postgres ]] || { echo "no PostgreSQL server: apt-get install -y postgresql" >&2; exit 1; }
id postgres >/dev/null 2>&1 || { echo "no postgres user: apt-get install -y postgresql" >&2; exit 1; }
for tool in ip haproxy python3 curl setpriv openssl getent; do
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
zone=relay.test
namespaces=()
pids=()
work=$(mktemp -d /tmp/atnix-failover.XXXXXX)
chmod 755 "$work"
made_etc_netns=0
[[ -d /etc/netns ]] || made_etc_netns=1

cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || :; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || :
  done
  wait 2>/dev/null || :
  for ns in "${namespaces[@]}"; do
    ip netns del "$ns" 2>/dev/null || :
    rm -rf "/etc/netns/$ns"
  done
  if ((made_etc_netns)); then rmdir /etc/netns 2>/dev/null || :; fi
  if [[ -n ${KEEP_LOGS:-} ]]; then
    mkdir -p "$KEEP_LOGS"
    cp "$work"/*.log "$work"/*.rows "$work"/state.json "$KEEP_LOGS"/ 2>/dev/null || :
  fi
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

# --- Network: one bridge, five hosts with names, no route out --------------
ip netns add "$tag-sw"
namespaces+=("$tag-sw")
ip -n "$tag-sw" link add br0 type bridge
ip -n "$tag-sw" link set br0 up
hosts_file=$(
  printf '127.0.0.1 localhost\n'
  for host in "${hosts[@]}"; do printf '%s %s.%s\n' "${addr[$host]}" "$host" "$zone"; done
)
for host in "${hosts[@]}"; do
  ip netns add "$tag-$host"
  namespaces+=("$tag-$host")
  mkdir -p "/etc/netns/$tag-$host"
  printf '%s\n' "$hosts_file" >"/etc/netns/$tag-$host/hosts"
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
resolved=$(in_ns client getent hosts "app2.$zone" | awk '{print $1}')
[[ $resolved == "${addr[app2]}" ]] || { echo "app2.$zone resolves to '$resolved' in the client namespace, not ${addr[app2]}" >&2; exit 1; }
echo "network: ${hosts[*]} on 192.0.2.0/24 (namespaces $tag-*, names *.$zone from /etc/netns/*/hosts), no default route"

# --- db: PostgreSQL (TLS, one database per app node) and MinIO --------------
mkdir -p "$work/pg" "$work/pgsock" "$work/s3" "$work/secrets" "$work/tls"
chown postgres: "$work/pg" "$work/pgsock"
chown nobody: "$work/s3"
chmod 700 "$work/secrets"
secret() { head -c 18 /dev/urandom | base64 | tr '+/' '-_'; }
# One password for every app node's role, as the profile's database.passwordFile.
export PGPASSWORD RELAY_ADMIN_PASSWORD
PGPASSWORD=$(secret)
RELAY_ADMIN_PASSWORD=$(secret)
secret >"$work/secrets/s3-access-key"
secret >"$work/secrets/s3-secret-key"

# A throwaway CA and a server certificate for db.relay.test: the app nodes
# connect with sslmode=verify-full, the profile's default.
cat >"$work/tls/openssl.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = atnix failover test CA
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:db.$zone
EOF
(
  cd "$work/tls"
  ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 -config openssl.cnf -extensions ca "${ec[@]}" -keyout ca.key -out ca.crt -days 1
  openssl req -new "${ec[@]}" -subj "/CN=db.$zone" -keyout server.key -out server.csr
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -set_serial 2 -days 1 \
    -extfile openssl.cnf -extensions server -out server.crt
  openssl verify -CAfile ca.crt -verify_hostname "db.$zone" server.crt
  rm ca.key server.csr
  chown postgres: server.key
  chmod 600 server.key
  chmod 644 ca.crt server.crt
) >"$work/tls.log" 2>&1

runuser -u postgres -- "$pg_bin/initdb" -D "$work/pg" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
  >"$work/initdb.log" 2>&1
cat >>"$work/pg/postgresql.conf" <<EOF
listen_addresses = '${addr[db]}'
unix_socket_directories = '$work/pgsock'
max_connections = 100
password_encryption = 'scram-sha-256'
ssl = on
ssl_cert_file = '$work/tls/server.crt'
ssl_key_file = '$work/tls/server.key'
ssl_min_protocol_version = 'TLSv1.2'
EOF
# As the profile's database role: each app node reaches its own database
# only, from its own address, over TLS, with a password (SCRAM).
cat >"$work/pg/pg_hba.conf" <<EOF
local all postgres trust
hostssl relay_app1 relay_app1 ${addr[app1]}/32 scram-sha-256
hostssl relay_app2 relay_app2 ${addr[app2]}/32 scram-sha-256
EOF
spawn db postgres "$work/postgres.log" "$pg_bin/postgres" -D "$work/pg"
psql_db() { runuser -u postgres -- "$pg_bin/psql" -X -h "$work/pgsock" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
wait_for "PostgreSQL" 100 psql_db -c 'select 1'
for host in app1 app2; do
  # The password goes through stdin, not an argv.
  psql_db <<EOF
create role relay_$host login password '$PGPASSWORD';
create database relay_$host owner relay_$host;
EOF
done
# What pg_hba.conf must refuse: a connection without TLS, and a node's login
# to the other node's database.
psql_app1() { in_ns app1 "$pg_bin/psql" -X -qAt -c 'select 1' "$1"; }
if psql_app1 "host=db.$zone dbname=relay_app1 user=relay_app1 sslmode=disable" >/dev/null 2>&1; then
  echo "PostgreSQL took app1's login without TLS" >&2
  exit 1
fi
if psql_app1 "host=db.$zone dbname=relay_app2 user=relay_app2 sslmode=verify-full sslrootcert=$work/tls/ca.crt" >/dev/null 2>&1; then
  echo "PostgreSQL let app1 into app2's database" >&2
  exit 1
fi
login_error=$(psql_app1 "host=db.$zone dbname=relay_app1 user=relay_app1 sslmode=verify-full sslrootcert=$work/tls/ca.crt" \
  2>&1 >/dev/null || :)
[[ -z $login_error ]] || { echo "app1 cannot log in to relay_app1 with verify-full: $login_error" >&2; exit 1; }
echo "db: PostgreSQL $(psql_db -c 'show server_version') on db.$zone:5432, databases relay_app1 and relay_app2;" \
  "TLS verify-full against a throwaway CA; refused: app1 without TLS, app1 into relay_app2"

if [[ $minio_bin == none ]]; then
  echo "s3: NOT EXERCISED: no MinIO binary given"
  s3_line="not exercised (no MinIO binary given)"
else
  spawn db nobody "$work/minio.log" env MINIO_ROOT_USER="$(cat "$work/secrets/s3-access-key")" \
    MINIO_ROOT_PASSWORD="$(cat "$work/secrets/s3-secret-key")" MINIO_BROWSER=off \
    "$minio_bin" server --quiet --address "${addr[db]}:9000" --console-address "${addr[db]}:9001" "$work/s3"
  wait_for "MinIO" 150 in_ns client curl -fsS "http://db.$zone:9000/minio/health/live"
  in_ns client python3 -B "$here/failover_client.py" s3 "http://db.$zone:9000" \
    "$work/secrets/s3-access-key" "$work/secrets/s3-secret-key"
  s3_line="MinIO on db.$zone:9000: bucket created, object written and read back with boto3"
fi

# --- app1, app2: two relays, one database each, siblings of each other ------
declare -A relay_pid sibling=([app1]=app2 [app2]=app1)
for host in app1 app2; do
  # Port 80 (a sibling cannot name a port) while the relay runs as nobody:
  # net.ipv4.ip_unprivileged_port_start is per network namespace.
  in_ns "$host" sh -c 'echo 0 >/proc/sys/net/ipv4/ip_unprivileged_port_start'
done
start_relay() { # HOST
  local host=$1
  mkdir -p "$work/$host/persist"
  chown -R nobody: "$work/$host"
  # The relay resolves identities only while crawling; no host is added, so
  # the PLC address is never dialled (and nothing answers there).
  spawn "$host" nobody "$work/$host.log" "$relay_bin" --plc-host "http://db.$zone:9" serve \
    --bind "${addr[$host]}:80" --metrics-listen "${addr[$host]}:2471" --max-db-conn 10 \
    --persist-dir "$work/$host/persist" \
    --db-url "postgres://relay_$host@db.$zone:5432/relay_$host?sslmode=verify-full&sslrootcert=$work/tls/ca.crt" \
    --sibling-relays "http://${sibling[$host]}.$zone"
  relay_pid[$host]=${pids[-1]}
  wait_for "the relay on $host" 150 in_ns client curl -fsS "http://$host.$zone/xrpc/_health"
}
start_relay app1
start_relay app2
echo "app: relay on app1.$zone:80 (pid ${relay_pid[app1]}) and app2.$zone:80 (pid ${relay_pid[app2]}), each with its own database and the other as --sibling-relays"

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
  server app1 app1.$zone:80 check
  server app2 app2.$zone:80 check
listen stats
  bind ${addr[lb]}:8404
  stats enable
  stats uri /stats
EOF
in_ns lb haproxy -c -q -f "$work/haproxy.cfg"
spawn lb nobody "$work/haproxy.log" haproxy -db -f "$work/haproxy.cfg"
lb=http://lb.$zone:8080
stats="http://lb.$zone:8404/stats;csv"
both_up() { [[ $(in_ns client curl -fsS "$stats" | grep -c '^relays,app[12],.*,UP,') == 2 ]]; }
wait_for "HAProxy to see both nodes up" 100 both_up
echo "lb: HAProxy $(haproxy -v | awk 'NR==1 {print $3}') on lb.$zone:8080, both nodes UP"

# --- client: data, failover, recovery --------------------------------------
rows() { psql_db -d "relay_$1" -c 'select domain from domain_bans order by domain'; }
client() { in_ns client python3 -B "$here/failover_client.py" "$@"; }
forward_failures() { grep -c 'forwarded admin HTTP request failed' "$work/$1.log" || :; }
# Forwards of a request other than the one the node took: the relay reads the
# request from the echo.Context in a goroutine after the handler returned, and
# echo hands that Context to the next request. Neither a GET nor a ban the
# sibling already has is ever forwarded otherwise (every domain is written once).
wrong_forwards() {
  local gets dups
  gets=$(grep -h 'forwarded admin HTTP request' "$work"/app[12].log | grep -c '"method":"GET"' || :)
  dups=$(grep -h 'forwarded admin HTTP request failed' "$work"/app[12].log | grep -c 'duplicated key' || :)
  echo "$gets GETs and $dups bans the sibling already had"
}
state=$work/state.json
app1=http://app1.$zone
app2=http://app2.$zone
client write "$lb" "$state" seed 20 "$app1" "$app2"

client load "$lb" "$state" "$stats" "$load_seconds" "${relay_pid[app1]}" "$kill_after" | tee "$work/load.out"
{ wait "${relay_pid[app1]}"; } 2>/dev/null || :
# app2's forwards of what it took while app1 was down may still be running
# (the relay's sibling client times out after 10 s): wait for them to end.
previous=-1
for _ in $(seq 1 30); do
  count=$(grep -c 'forwarded admin HTTP request' "$work/app2.log" || :)
  [[ $count == "$previous" ]] && break
  previous=$count
  sleep 0.5
done
rows app1 >"$work/app1-down.rows"
forward_failures_down=$(forward_failures app2)

start_relay app1
wait_for "HAProxy to see app1 up again" 100 both_up
rows app1 >"$work/app1-up.rows"
cmp -s "$work/app1-down.rows" "$work/app1-up.rows" || { echo "relay_app1 changed across app1's restart" >&2; exit 1; }
client write "$lb" "$state" after 20 "$app1" "$app2"

rows app1 >"$work/app1.rows"
rows app2 >"$work/app2.rows"
client verify "$state" "$forward_grace" "$max_unforwarded" "$app1" "$work/app1.rows" "$app2" "$work/app2.rows" | tee "$work/verify.out"
client repair "$state" "$lb" "$app1" "$app2"

load=$(sed -n 's/^load: //p' "$work/load.out")
verify=$(sed -n 's/^verify: //p' "$work/verify.out")
l() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$load" "$1"; }
v() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$verify" "$1"; }
cat <<EOF
summary:
  requests through the LB during the load: $(l requests) ($(l writes) writes, $(l reads) reads) in ${load_seconds} s, app1 SIGKILLed after ${kill_after} s
  request errors during failover:         $(l errors_during_failover) of $(l requests_after_kill) after the kill (failed writes: $(l failed_writes))
  time to recover (last error after kill): $(l time_to_recover_ms) ms; HAProxy marked app1 DOWN after $(l haproxy_marks_app1_down_ms) ms
  reads through the LB missing a write:   $(l stale_reads_before_kill) of $(l reads_before_kill) before the kill: $(v stale_reads_lag) by forwarding lag (median $(v stale_lag_p50_ms) ms, max $(v stale_lag_max_ms) ms), $(v stale_reads_never_forwarded) missing a write never forwarded; $(l stale_reads_after_kill) after the kill
  acknowledged writes:                    $(v acknowledged), every one in the database of the node that took it (lost: $(v lost))
  taken while both nodes were up:         one at a time: all in both databases; under load: $(v both_up_not_forwarded) of $(v both_up_load) never reached the sibling (at most $(v both_up_not_forwarded_allowed) tolerated)
  forwards of the wrong request:          $(wrong_forwards) (the relay's echo.Context race)
  taken in the ${forward_grace} s before the kill:       $(v kill_window), of which $(v kill_window_forwarded) reached the sibling
  taken by $(v while_down_by) while app1 was down:      $(v while_down), of which $(v while_down_reached_app1) reached app1 (app2 logged $forward_failures_down failed forwards; the relay does not retry them)
  rows: relay_app1 $(v rows_app1), relay_app2 $(v rows_app2) before the repair; relay_app1 unchanged across app1's restart
  after the repair (missing bans re-sent to each node): both nodes and the LB serve every acknowledged write
  object store: $s3_line
failover ok
EOF
