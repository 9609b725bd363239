#!/usr/bin/env bash
# The check of `atnix smoke dev` (tests/eval/cases/dev.nix, case `smoke`), run
# inside the container as root once atnix smoke has started the profile's
# rendered units under systemd: fake-plc (test only), pds, bluesky-relay,
# bluesky-jetstream, microcosm-spacedust (optional: ATNIX_SMOKE_SKIPPED names
# it when it has no local build) and atproto-exporter. Placed by
# tests/pds/smoke-bins.sh inside the smoke stand-in of bluesky-pds, beside
# chain.js, the alert rules and promtool.
#
# 1. an account and a post (chain.js): the seq on the relay's firehose, the
#    event on jetstream, the link in spacedust, and the time from post to each;
# 2. every listener is on 127.0.0.1;
# 3. the exporter reports each service healthy, with the relay's lag and
#    jetstream's event age;
# 4. `systemctl stop bluesky-relay`: the exporter reports it down, and the
#    alert rules fire on those values (promtool test rules);
# 5. every unit stopped, nothing listens any more.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
obj=$(cd "$here/../.." && pwd)
node=$obj/bin/node
modules=$obj/lib/pds/node_modules
work=$(mktemp -d)
# On failure, what atnix smoke shows (stderr): each unit's state and last lines.
diagnose() {
  for u in "${units[@]}"; do
    echo "--- $u.service: $(systemctl show -p ActiveState -p NRestarts --value "$u.service" | paste -sd ' ')" >&2
    journalctl -q -u "$u.service" -o cat -n 15 --no-pager >&2 || :
  done
}
trap 'status=$?; ((status == 0)) || diagnose; rm -rf "$work"' EXIT

say() { echo "chain: $*"; }
fail() { echo "chain FAIL: $*" >&2; exit 1; }
wait_for() { # URL SECONDS
  for _ in $(seq "$(($2 * 5))"); do curl -sf -o /dev/null "$1" && return 0; sleep 0.2; done
  fail "$1 did not answer within $2 s"
}
skipped=" ${ATNIX_SMOKE_SKIPPED:-} "
units=(fake-plc pds bluesky-relay bluesky-jetstream microcosm-spacedust atproto-exporter)
spacedust=true
if [[ $skipped == *" microcosm-spacedust.service "* ]]; then
  spacedust=false
  units=(fake-plc pds bluesky-relay bluesky-jetstream atproto-exporter)
  echo "chain: !!! SKIPPED spacedust: no local build was given; the chain ends at jetstream !!!"
fi

# A retry (atnix smoke retries a failing check) starts from running units.
systemctl start "${units[@]/%/.service}"
wait_for http://127.0.0.1:2582/_health 30
wait_for http://127.0.0.1:2583/xrpc/_health 60
wait_for http://127.0.0.1:2470/xrpc/_health 60
wait_for http://127.0.0.1:6009/healthz 60
# jetstream first backfills from the relay's listRepos (up to ~75 s seen here).
for _ in $(seq 180); do
  journalctl -q -u bluesky-jetstream -o cat | grep -q 'steady-state consumer running' && break
  sleep 1
done
journalctl -q -u bluesky-jetstream -o cat | grep -q 'steady-state consumer running' ||
  fail "jetstream did not reach its steady-state consumer: $(journalctl -q -u bluesky-jetstream -o cat | tail -n 5)"
ports=(2582 2583 2470 2471 6008 6009 9197)
if $spacedust; then
  wait_for http://127.0.0.1:8080/ 60
  # jetstream refuses subscribers until it is steady, and spacedust backs off
  # up to 30 s between attempts: a post before it reconnects is missed.
  for _ in $(seq 60); do
    journalctl -q -u microcosm-spacedust -o cat | grep -q 'jetstream connected' && break
    sleep 1
  done
  journalctl -q -u microcosm-spacedust -o cat | grep -q 'jetstream connected' ||
    fail "spacedust did not connect to jetstream: $(journalctl -q -u microcosm-spacedust -o cat | tail -n 5)"
  export SPACEDUST_WS=ws://127.0.0.1:8080
  ports+=(8080)
fi
wait_for http://127.0.0.1:9197/metrics 30
for u in "${units[@]}"; do
  say "$u.service $(systemctl show -p ActiveState -p SubState -p MainPID -p User --value "$u.service" | paste -sd ' ') (under systemd)"
done

# 1. Along the chain.
NODE_PATH=$modules "$node" --experimental-websocket --no-warnings "$here/chain.js" | tee "$work/chain.out" |
  sed 's/^/chain: /'
summary=$(tail -n 1 "$work/chain.out")
# shellcheck disable=SC2016 # JavaScript template literals, not shell
"$node" -e '
  const s = JSON.parse(process.argv[1])
  const end = s.spacedustMs !== undefined ? `spacedust (indexed) ${s.spacedustMs} ms` : "jetstream (spacedust skipped)"
  console.log(`chain: hops: post ${s.uri} cid ${s.cid} -> relay seq ${s.relaySeq} (${s.relayMs} ms)` +
    ` -> jetstream time_us ${s.jetstreamTimeUs} (${s.jetstreamMs} ms)` +
    (s.spacedustMs !== undefined ? ` -> spacedust ${s.spacedustSource} (${s.spacedustMs} ms)` : ""))
  console.log(`chain: time from post to ${end}`)
' "$summary"

# 2. Loopback only.
listeners=$(ss -Htln | awk '{print $4}' | sort -u)
for port in "${ports[@]}"; do
  grep -qx "127.0.0.1:$port" <<<"$listeners" || fail "nothing listens on 127.0.0.1:$port (listeners: $listeners)"
done
beyond=$(grep -v '^127\.0\.0\.1:' <<<"$listeners" || :)
[[ -z $beyond ]] || fail "listening beyond 127.0.0.1: $beyond"
say "listeners on 127.0.0.1 only: $(paste -sd ' ' <<<"$listeners")"

# 3. The exporter probes each service, as Prometheus would scrape it.
scrape() { # MODULE TARGET [RELAY_PDS_HOST]
  curl -sf --get --data-urlencode "module=$1" --data-urlencode "target=$2" ${3:+--data-urlencode "host=$3"} \
    http://127.0.0.1:9197/probe >"$work/scrape-$1.txt" || fail "probe request $1 $2"
  grep -E '^(probe_success|atproto_relay_host_(seq|seq_lag|status)|atproto_firehose_head_seq|atproto_jetstream_(first_event_seconds|last_event_age_seconds))[ {]' \
    "$work/scrape-$1.txt" | sed "s/^/chain: exporter $1: /"
}
value_of() { # MODULE METRIC
  awk -v m="$2" '$1 == m || index($1, m "{") == 1 {print $2 + 0; exit}' "$work/scrape-$1.txt"
}
expect_up() {
  scrape "$@"
  [[ $(value_of "$1" probe_success) == 1 ]] || fail "the exporter reports $1 at $2 down: $(cat "$work/scrape-$1.txt")"
}
# The relay writes host cursors to its database every few seconds.
sleep 5
expect_up pds http://127.0.0.1:2583
# relay_dev in the profile: the relay, and the PDS it should follow.
expect_up relay http://127.0.0.1:2470 http://localhost:2583
lag=$(value_of relay atproto_relay_host_seq_lag)
[[ -n $lag ]] || fail "the relay probe reports no atproto_relay_host_seq_lag"
expect_up plc http://127.0.0.1:2582
# jetstream's probe waits for an event: the next post brings one.
(sleep 1; NODE_PATH=$modules "$node" --experimental-websocket --no-warnings "$here/chain.js" >/dev/null 2>&1) &
expect_up jetstream ws://127.0.0.1:6008
wait
age=$(value_of jetstream atproto_jetstream_last_event_age_seconds)
[[ -n $age ]] || fail "the jetstream probe reports no atproto_jetstream_last_event_age_seconds"
say "exporter: every service healthy; relay lag $lag events, jetstream event age $age s"

# 4. The relay stopped.
systemctl stop bluesky-relay.service
scrape relay http://127.0.0.1:2470 http://localhost:2583
down=$(value_of relay probe_success)
[[ $down == 0 ]] || fail "the relay is stopped, but the exporter says probe_success '$down'"
say "relay stopped: exporter probe_success $down"
cat >"$work/relay-down.test.yml" <<EOF
rule_files:
  - $here/atproto-alerts.yml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'probe_success{job="atproto-relay",instance="http://127.0.0.1:2470"}'
        values: '1 ${down}x10'
      - series: 'atproto_relay_host_seq_lag{job="atproto-relay",instance="http://127.0.0.1:2470"}'
        values: '${lag}x40'
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
      - eval_time: 40m
        alertname: AtprotoRelayLagging
        exp_alerts: []
EOF
"$here/promtool" test rules "$work/relay-down.test.yml" | sed 's/^/chain: promtool: /'

# 5. Everything stopped.
systemctl stop "${units[@]/%/.service}"
for u in "${units[@]}"; do
  state=$(systemctl show -p ActiveState --value "$u.service")
  [[ $state == inactive ]] || fail "$u.service is $state after stop"
done
left=$(ss -Htln | awk '{print $4}')
[[ -z $left ]] || fail "still listening after every unit stopped: $left"
say "every unit stopped (${units[*]}); nothing listens"
say "ok"
