#!/usr/bin/env python3
"""Client side of tests/production/run-failover.sh.

Drives indigo's relay through HAProxy with DB-backed admin requests: a write is
POST /admin/subs/banDomain (one row in the shared PostgreSQL table
domain_bans), a read is GET /admin/subs/listDomainBans (a SELECT of that
table), and public reads hit /xrpc/com.atproto.sync.listHosts. Every request
has a timeout and every loop a deadline. Exits non-zero when a check fails.

Subcommands:
  s3 ENDPOINT KEY_FILE SECRET_FILE     bucket + object round trip (boto3)
  seed LB STATE N                      N writes through the LB, read back
  load LB STATE STATS_URL SECONDS KILL_PID KILL_AFTER
                                       writes and reads through the LB for
                                       SECONDS, SIGKILLs KILL_PID after
                                       KILL_AFTER seconds; prints the figures
  verify STATE URL...                  every acknowledged write is listed by
                                       each URL (an app node or the LB)
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
PASSWORD = os.environ["RELAY_ADMIN_PASSWORD"]
AUTH = "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()


class Failed(Exception):
    pass


def request(base, method, path, body=None):
    """Returns (status, backend, parsed JSON or None); status 0 = no answer."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", AUTH)
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


def ban(base, domain):
    status, backend, _ = request(base, "POST", "/admin/subs/banDomain", {"Domain": domain})
    return status == 200, backend


def list_bans(base):
    status, backend, body = request(base, "GET", "/admin/subs/listDomainBans")
    if status != 200 or not isinstance(body, dict):
        return None, backend
    return set(body.get("banned_domains") or []), backend


def load_state(path):
    with open(path) as f:
        return json.load(f)


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


def cmd_seed(lb, state_path, count):
    acked, backends = [], {}
    for i in range(count):
        domain = f"seed-{i}.failover.test"
        ok, backend = ban(lb, domain)
        if not ok:
            raise Failed(f"seed write {domain} through the LB failed")
        acked.append(domain)
        backends[backend] = backends.get(backend, 0) + 1
    listed, _ = list_bans(lb)
    if listed is None or not set(acked) <= listed:
        raise Failed("seed: the LB does not list every domain just written")
    if len(backends) < 2:
        raise Failed(f"seed: the LB sent every write to one backend: {backends}")
    save_state(state_path, {"acked": acked, "unacked": []})
    print(f"seed: {count} writes through the LB, all listed; per backend: {backends}")


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
    acked = list(state["acked"])
    unacked = []
    log = []  # (start, end, kind, ok, backend)
    stale = []
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
                with lock:
                    (acked if ok else unacked).append(domain)
                kind = "write"
            else:
                with lock:
                    must = set(acked)
                listed, backend = list_bans(lb)
                ok = listed is not None
                if ok and not must <= listed:
                    with lock:
                        stale.append(sorted(must - listed)[:3])
                kind = "read"
            with lock:
                log.append((t0, time.time(), kind, ok, backend))

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
    save_state(state_path, {"acked": acked, "unacked": unacked})

    k = kill_at[0]
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
        "failed_writes": len(unacked),
        "stale_reads": len(stale),
        "time_to_recover_ms": recover_ms,
        "haproxy_marks_app1_down_ms": round((down_at[0] - k) * 1000) if down_at[0] else None,
        "max_latency_after_kill_ms": round(max((r[1] - r[0] for r in after), default=0) * 1000),
        "answered_by_after_kill": by_backend,
    }
    print("load: " + json.dumps(summary))
    if stale:
        raise Failed(f"{len(stale)} reads missed acknowledged writes, e.g. {stale[0]}")
    if not after or after[-1][3] is False:
        raise Failed("requests were still failing at the end of the load period")
    if down_at[0] is None:
        raise Failed("HAProxy never marked app1 DOWN within the load period")


def cmd_verify(state_path, urls):
    state = load_state(state_path)
    acked = set(state["acked"])
    for url in urls:
        listed, backend = list_bans(url)
        if listed is None:
            raise Failed(f"verify: {url} did not answer listDomainBans")
        missing = acked - listed
        if missing:
            raise Failed(f"verify: {url} lacks {len(missing)} acknowledged writes, e.g. {sorted(missing)[:3]}")
        extra = listed - acked - set(state["unacked"])
        if extra:
            raise Failed(f"verify: {url} lists domains nobody wrote: {sorted(extra)[:3]}")
        landed = len(set(state["unacked"]) & listed)
        print(
            f"verify: {url} (answered by {backend or 'itself'}) lists all {len(acked)} acknowledged writes"
            f" (and {landed} of the {len(state['unacked'])} writes that failed at the client)"
        )


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "s3":
        cmd_s3(*args)
    elif cmd == "seed":
        cmd_seed(args[0], args[1], int(args[2]))
    elif cmd == "load":
        cmd_load(args[0], args[1], args[2], float(args[3]), int(args[4]), float(args[5]))
    elif cmd == "verify":
        cmd_verify(args[0], args[1:])
    else:
        raise Failed(f"unknown subcommand {cmd}")


if __name__ == "__main__":
    try:
        main(sys.argv)
    except Failed as err:
        print(f"FAILED: {err}", file=sys.stderr)
        sys.exit(1)
