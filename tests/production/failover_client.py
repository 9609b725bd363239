#!/usr/bin/env python3
"""Client side of tests/production/run-failover.sh.

Drives two independent indigo relays (one database each, siblings of each
other) through HAProxy with admin requests that the relay forwards to its
siblings: a write is POST /admin/subs/banDomain (one row in the receiving
node's domain_bans, then forwarded to the sibling after the answer), a read is
GET /admin/subs/listDomainBans (a SELECT on the answering node's database).
Every request has a timeout and every loop a deadline. Exits non-zero when a
check fails.

The state file records every write: its domain, the node that acknowledged it
(HAProxy's X-Atnix-Backend header), the phase and the client's clock at its
start and answer, and the time of the kill.

Subcommands:
  s3 ENDPOINT KEY_FILE SECRET_FILE     bucket + object round trip (boto3)
  write LB STATE PHASE N NODE_URL...   N writes through the LB (both nodes
                                       must take some), then waits until every
                                       node lists them all (forwarding)
  load LB STATE STATS_URL SECONDS KILL_PID KILL_AFTER
                                       writes and reads through the LB for
                                       SECONDS, SIGKILLs KILL_PID after
                                       KILL_AFTER seconds; prints the figures
  verify STATE GRACE MAX_UNFORWARDED APP1_URL APP1_ROWS APP2_URL APP2_ROWS
                                       checks every acknowledged write against
                                       both databases (ROWS: one domain a line)
                                       and both nodes; prints the figures
  repair STATE LB APP1_URL APP2_URL    re-sends to each node the bans only its
                                       sibling has, then every acknowledged
                                       write must be served by both nodes,
                                       directly and through the LB
"""

import base64
import csv
import io
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request

TIMEOUT = 3.0
WORKERS = 4
CONVERGE_SECONDS = 15.0
PASSWORD = os.environ["RELAY_ADMIN_PASSWORD"]
AUTH = "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
# The relay does not forward a request carrying this (forward.go at the pin).
VIA = "HTTP/1.1 atproto-relay"


class Failed(Exception):
    pass


def request(base, method, path, body=None, via=False):
    """Returns (status, backend, parsed JSON or None); status 0 = no answer."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", AUTH)
    if via:
        req.add_header("Via", VIA)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            raw = resp.read()
            return resp.status, resp.headers.get("X-Atnix-Backend"), json.loads(raw or b"null")
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("X-Atnix-Backend"), None
    except (OSError, ValueError):
        return 0, None, None


def ban(base, domain, via=False):
    status, backend, _ = request(base, "POST", "/admin/subs/banDomain", {"Domain": domain}, via)
    return status == 200, backend


def list_bans(base):
    status, backend, body = request(base, "GET", "/admin/subs/listDomainBans")
    if status != 200 or not isinstance(body, dict):
        return None, backend
    return set(body.get("banned_domains") or []), backend


def load_state(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return {"acked": [], "unacked": [], "kill_at": None}


def save_state(path, state):
    with open(path + ".tmp", "w") as f:
        json.dump(state, f)
    os.replace(path + ".tmp", path)


def cmd_s3(endpoint, key_file, secret_file):
    import boto3
    from botocore.config import Config

    with open(key_file) as f:
        key = f.read().strip()
    with open(secret_file) as f:
        secret = f.read().strip()
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=Config(
            s3={"addressing_style": "path"},
            connect_timeout=TIMEOUT,
            read_timeout=TIMEOUT,
            retries={"max_attempts": 1},
        ),
    )
    body = os.urandom(64 * 1024)
    s3.create_bucket(Bucket="atnix-blobs")
    s3.put_object(Bucket="atnix-blobs", Key="failover/blob.bin", Body=body)
    got = s3.get_object(Bucket="atnix-blobs", Key="failover/blob.bin")["Body"].read()
    if got != body:
        raise Failed("S3: the object read back differs from the one written")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="atnix-blobs").get("Contents", [])]
    if keys != ["failover/blob.bin"]:
        raise Failed(f"S3: bucket lists {keys}, expected the one object")
    print(f"s3: bucket atnix-blobs, wrote and read back {len(body)} bytes at failover/blob.bin")


def converge(domains, urls):
    """Waits until every URL lists every domain; returns the seconds it took."""
    pending = set(urls)
    start = time.time()
    deadline = start + CONVERGE_SECONDS
    while pending and time.time() < deadline:
        for url in list(pending):
            listed, _ = list_bans(url)
            if listed is not None and domains <= listed:
                pending.discard(url)
        if pending:
            time.sleep(0.05)
    if pending:
        details = []
        for url in pending:
            listed, _ = list_bans(url)
            missing = sorted(domains - (listed or set()))
            details.append(f"{url} lacks {len(missing)}, e.g. {missing[:3]}")
        raise Failed(f"not every node lists the writes after {CONVERGE_SECONDS:.0f} s: " + "; ".join(details))
    return time.time() - start


def cmd_write(lb, state_path, phase, count, urls):
    state = load_state(state_path)
    backends = {}
    mine = set()
    for i in range(count):
        domain = f"{phase}-{i}.failover.test"
        t0 = time.time()
        ok, backend = ban(lb, domain)
        if not ok:
            raise Failed(f"{phase} write {domain} through the LB failed")
        state["acked"].append({"domain": domain, "backend": backend, "phase": phase, "t0": t0, "t1": time.time()})
        mine.add(domain)
        backends[backend] = backends.get(backend, 0) + 1
    if len(backends) < 2:
        raise Failed(f"{phase}: the LB sent every write to one node: {backends}")
    save_state(state_path, state)
    took = converge(mine, urls)
    print(
        f"{phase}: {count} writes through the LB (per node: {backends}); both nodes listed all of them"
        f" {round(took * 1000)} ms after the last acknowledgement"
    )


def haproxy_status(stats_url, server):
    try:
        with urllib.request.urlopen(stats_url, timeout=TIMEOUT) as resp:
            text = resp.read().decode().lstrip("# ")
    except OSError:
        return None
    for row in csv.DictReader(io.StringIO(text)):
        if row.get("pxname") == "relays" and row.get("svname") == server:
            return row.get("status")
    return None


def cmd_load(lb, state_path, stats_url, seconds, kill_pid, kill_after):
    state = load_state(state_path)
    lock = threading.Lock()
    acked = state["acked"]
    ack_time = {w["domain"]: w["t1"] for w in acked}
    unacked = state["unacked"]
    log = []  # (start, end, kind, ok, backend)
    stale = []  # (read start, read end, backend, missing domains)
    start = time.time()
    deadline = start + seconds
    counter = iter(range(10**9))
    kill_at = [None]
    down_at = [None]

    def worker(n):
        while time.time() < deadline:
            with lock:
                i = next(counter)
            t0 = time.time()
            if i % 2 == 0:
                domain = f"load-{i}.failover.test"
                ok, backend = ban(lb, domain)
                t1 = time.time()
                with lock:
                    if ok:
                        acked.append({"domain": domain, "backend": backend, "phase": "load", "t0": t0, "t1": t1})
                        ack_time[domain] = t1
                    else:
                        unacked.append(domain)
                kind = "write"
            else:
                with lock:
                    must = set(ack_time)
                listed, backend = list_bans(lb)
                t1 = time.time()
                ok = listed is not None
                if ok and not must <= listed:
                    with lock:
                        stale.append((t0, t1, backend, must - listed))
                kind = "read"
            with lock:
                log.append((t0, t1, kind, ok, backend))

    def killer():
        time.sleep(kill_after)
        kill_at[0] = time.time()
        os.kill(kill_pid, signal.SIGKILL)
        while time.time() < deadline:
            if haproxy_status(stats_url, "app1") == "DOWN":
                down_at[0] = time.time()
                return
            time.sleep(0.02)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    threads.append(threading.Thread(target=killer))
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 2 * TIMEOUT + 5)
        if t.is_alive():
            raise Failed("a load thread did not finish in time")
    k = kill_at[0]
    state["kill_at"] = k
    # For verify: which node missed which writes, in the reads before the kill.
    stale_before = [s for s in stale if k is not None and s[0] < k]
    state["stale_before_kill"] = [[s[0], s[2], sorted(s[3])] for s in stale_before]
    save_state(state_path, state)

    if k is None:
        raise Failed("the kill did not happen within the load period")
    before = [r for r in log if r[1] < k]
    after = [r for r in log if r[1] >= k]
    failed_after = [r for r in after if not r[3]]
    recover_ms = round((max(r[1] for r in failed_after) - k) * 1000) if failed_after else 0
    by_backend = {}
    for r in after:
        by_backend[r[4]] = by_backend.get(r[4], 0) + 1
    summary = {
        "requests": len(log),
        "writes": sum(1 for r in log if r[2] == "write"),
        "reads": sum(1 for r in log if r[2] == "read"),
        "errors_before_kill": sum(1 for r in before if not r[3]),
        "requests_after_kill": len(after),
        "errors_during_failover": len(failed_after),
        "failed_writes": sum(1 for r in log if r[2] == "write" and not r[3]),
        "reads_before_kill": sum(1 for r in before if r[2] == "read"),
        "stale_reads_before_kill": len(stale_before),
        "stale_reads_after_kill": len(stale) - len(stale_before),
        "time_to_recover_ms": recover_ms,
        "haproxy_marks_app1_down_ms": round((down_at[0] - k) * 1000) if down_at[0] else None,
        "max_latency_after_kill_ms": round(max((r[1] - r[0] for r in after), default=0) * 1000),
        "answered_by_after_kill": by_backend,
    }
    print("load: " + json.dumps(summary))
    if not after or after[-1][3] is False:
        raise Failed("requests were still failing at the end of the load period")
    if down_at[0] is None:
        raise Failed("HAProxy never marked app1 DOWN within the load period")


def read_rows(path):
    with open(path) as f:
        return {line.strip() for line in f if line.strip()}


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0


def cmd_verify(state_path, grace, max_unforwarded, app1_url, app1_rows, app2_url, app2_rows):
    state = load_state(state_path)
    kill = state["kill_at"]
    nodes = {"app1": (app1_url, read_rows(app1_rows)), "app2": (app2_url, read_rows(app2_rows))}
    other = {"app1": "app2", "app2": "app1"}
    written = {w["domain"] for w in state["acked"]} | set(state["unacked"])

    # What each node serves is its own database.
    for name, (url, rows) in nodes.items():
        listed, _ = list_bans(url)
        if listed is None:
            raise Failed(f"verify: {name} ({url}) did not answer listDomainBans")
        if listed != rows:
            raise Failed(f"verify: {name} lists {len(listed)} domains, its database holds {len(rows)}")
        extra = rows - written
        if extra:
            raise Failed(f"verify: {name}'s database holds domains nobody wrote: {sorted(extra)[:3]}")

    lost, unsynced, window, gap = [], [], [], []
    for w in state["acked"]:
        own, sib = w["backend"], other.get(w["backend"])
        if own not in nodes:
            raise Failed(f"verify: write {w['domain']} was acknowledged by an unknown backend {own!r}")
        if w["domain"] not in nodes[own][1]:
            lost.append(w)
            continue
        in_sibling = w["domain"] in nodes[sib][1]
        if w["phase"] != "load" or w["t1"] < kill - grace:
            # Both nodes were up from the write until well after it.
            if not in_sibling:
                unsynced.append(w)
        elif w["t0"] < kill:
            window.append((w, in_sibling))
        else:
            gap.append((w, in_sibling))

    # Reads through the LB before the kill that missed a write: either the
    # write's forward had not arrived yet (it is in that node's database now:
    # the lag is the read's start minus the write's acknowledgement), or it
    # never arrives.
    ack_time = {w["domain"]: w["t1"] for w in state["acked"]}
    lags, stale_never = [], 0
    for t0, backend, missing in state.get("stale_before_kill", []):
        rows = nodes[backend][1] if backend in nodes else set()
        arrived = [d for d in missing if d in rows]
        if arrived:
            lags.append(t0 - min(ack_time[d] for d in arrived))
        if len(arrived) < len(missing):
            stale_never += 1
    both_up_load = sum(1 for w in state["acked"] if w["phase"] == "load" and w["t1"] < kill - grace)
    allowed = int(both_up_load * max_unforwarded / 100)
    acked = len(state["acked"])
    summary = {
        "acknowledged": acked,
        "failed_at_client": len(state["unacked"]),
        "failed_but_stored": len(set(state["unacked"]) & (nodes["app1"][1] | nodes["app2"][1])),
        "rows_app1": len(nodes["app1"][1]),
        "rows_app2": len(nodes["app2"][1]),
        "lost": len(lost),
        "both_up_load": both_up_load,
        "both_up_not_forwarded": len(unsynced),
        "both_up_not_forwarded_allowed": allowed,
        "both_up_not_forwarded_sequential": sum(1 for w in unsynced if w["phase"] != "load"),
        "stale_reads_lag": len(lags),
        "stale_lag_p50_ms": round(percentile(lags, 0.5) * 1000),
        "stale_lag_max_ms": round(max(lags, default=0) * 1000),
        "stale_reads_never_forwarded": stale_never,
        "kill_window": len(window),
        "kill_window_forwarded": sum(1 for _, s in window if s),
        "while_down": len(gap),
        "while_down_by": "+".join(sorted({w["backend"] for w, _ in gap})),
        "while_down_reached_app1": sum(1 for _, s in gap if s),
    }
    print("verify: " + json.dumps(summary))
    if lost:
        w = lost[0]
        raise Failed(f"verify: {len(lost)} acknowledged writes are not in their node's database, e.g. {w}")
    # One write at a time (phases seed and after), every forward must arrive.
    sequential = [w for w in unsynced if w["phase"] != "load"]
    if sequential:
        w = sequential[0]
        raise Failed(
            f"verify: {len(sequential)} writes taken one at a time while both nodes were up never reached the"
            f" sibling, e.g. {w['domain']} (acknowledged by {w['backend']} in phase {w['phase']})"
        )
    # Under concurrent load the relay at the pin drops some forwards (it reads
    # the request from an echo.Context that echo has already handed to another
    # request; README): tolerated up to MAX_UNFORWARDED percent.
    if len(unsynced) > allowed:
        w = unsynced[0]
        raise Failed(
            f"verify: {len(unsynced)} of {both_up_load} writes taken under load while both nodes were up never"
            f" reached the sibling (at most {allowed} tolerated), e.g. {w['domain']} (acknowledged by {w['backend']})"
        )


def cmd_repair(state_path, lb, app1_url, app2_url):
    state = load_state(state_path)
    acked = {w["domain"] for w in state["acked"]}
    nodes = {"app1": app1_url, "app2": app2_url}
    listed = {}
    for name, url in nodes.items():
        listed[name], _ = list_bans(url)
        if listed[name] is None:
            raise Failed(f"repair: {name} did not answer listDomainBans")
    resent = {}
    for name, sib in (("app1", "app2"), ("app2", "app1")):
        missing = sorted(listed[sib] - listed[name])
        for domain in missing:
            ok, _ = ban(nodes[name], domain, via=True)
            if not ok:
                raise Failed(f"repair: re-sending {domain} to {name} failed")
        resent[name] = len(missing)
    for name, url in nodes.items():
        now, _ = list_bans(url)
        if now is None or not acked <= now:
            raise Failed(f"repair: {name} still lacks acknowledged writes")
        if now != listed["app1"] | listed["app2"]:
            raise Failed(f"repair: {name} does not list the union of both nodes")
    seen = set()
    for _ in range(20):
        now, backend = list_bans(lb)
        if now is None or not acked <= now:
            raise Failed(f"repair: a read through the LB (answered by {backend}) lacks acknowledged writes")
        seen.add(backend)
        if len(seen) == 2:
            break
    if len(seen) < 2:
        raise Failed(f"repair: 20 reads through the LB were answered only by {seen}")
    print(
        f"repair: re-sent {resent['app1']} bans to app1 and {resent['app2']} to app2 (with Via, so not"
        f" forwarded again); both nodes, directly and through the LB, list all {len(acked)} acknowledged writes"
    )


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "s3":
        cmd_s3(*args)
    elif cmd == "write":
        cmd_write(args[0], args[1], args[2], int(args[3]), args[4:])
    elif cmd == "load":
        cmd_load(args[0], args[1], args[2], float(args[3]), int(args[4]), float(args[5]))
    elif cmd == "verify":
        cmd_verify(args[0], float(args[1]), float(args[2]), *args[3:7])
    elif cmd == "repair":
        cmd_repair(*args[:4])
    else:
        raise Failed(f"unknown subcommand {cmd}")


if __name__ == "__main__":
    try:
        main(sys.argv)
    except Failed as err:
        print(f"FAILED: {err}", file=sys.stderr)
        sys.exit(1)
