#!/usr/bin/env python3
"""Hostile ATProto targets and load drivers for bench/exporter-hostile.sh (stdlib only).

  hostile.py serve SCENARIO      print the port, then serve until killed
  hostile.py load URL N          N concurrent GETs of URL; print "ok/total", the slowest, 503s
  hostile.py timed URL           one GET; print its seconds
  hostile.py halfopen PORT N     open N connections that send half a request, hold them
"""
import asyncio
import base64
import hashlib
import json
import sys
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def ws_frame(opcode, payload, fin=True):
    n = len(payload)
    b0 = (0x80 if fin else 0) | opcode
    if n < 126:
        head = bytes([b0, n])
    elif n < 1 << 16:
        head = bytes([b0, 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([b0, 127]) + n.to_bytes(8, "big")
    return head + payload


async def read_head(reader):
    try:
        data = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None, {}
    lines = data.decode("latin-1").split("\r\n")
    path = lines[0].split(" ")[1] if " " in lines[0] else "/"
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return path, headers


async def upgrade(writer, headers):
    key = headers.get("sec-websocket-key", "").encode()
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
    writer.write(
        (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
        ).encode()
    )
    await writer.drain()


def http(writer, status, body):
    writer.write(
        f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        f"connection: close\r\n\r\n".encode()
        + body
    )


BIG_JSON = json.dumps({"version": "x" * ((4 << 20) - 1024)}).encode()


async def handle(scenario, reader, writer):
    try:
        path, headers = await read_head(reader)
        if path is None:
            return
        ws = headers.get("upgrade", "").lower() == "websocket"
        if scenario == "pingflood" and ws:
            await upgrade(writer, headers)
            frame = ws_frame(0x9, b"p" * 125)
            # Never read: the prober's pongs pile up on its side only if it lets them.
            while True:
                writer.write(frame * 64)
                await writer.drain()
        elif scenario == "bigmsg" and ws:
            await upgrade(writer, headers)
            writer.write(ws_frame(0x1, b"x" * (60 << 20)))
            await writer.drain()
            await asyncio.sleep(30)
        elif scenario == "fragmsg" and ws:
            # 60 MiB as 240 fragments of 256 KiB: each passes a frame limit, the sum must not.
            await upgrade(writer, headers)
            opcode = 0x2 if "subscribeRepos" in path else 0x1
            chunk = b"x" * (256 << 10)
            for i in range(240):
                writer.write(ws_frame(opcode if i == 0 else 0x0, chunk, fin=(i == 239)))
                await writer.drain()
            await asyncio.sleep(30)
        elif scenario == "small" and ws:
            await small_firehose(path, reader, writer, headers)
        elif scenario == "bigjson":
            http(writer, 200, BIG_JSON)
            await writer.drain()
        else:
            if path.startswith("/xrpc/_health"):
                http(writer, 200, b'{"version":"0.4.0"}')
            elif path.startswith("/xrpc/com.atproto.server.describeServer"):
                http(writer, 200, b'{"did":"did:web:localhost","availableUserDomains":[".test"]}')
            elif path.startswith("/xrpc/com.atproto.sync.getHostStatus"):
                http(writer, 200, b'{"seq":5,"status":"active"}')
            elif path.startswith("/xrpc/com.atproto.sync.listRepos"):
                repos = [{"did": f"did:plc:{i:024d}", "head": "x", "rev": "y", "active": True} for i in range(100)]
                http(writer, 200, json.dumps({"repos": repos}).encode())
            else:
                http(writer, 501, b'{"error":"MethodNotImplemented"}')
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


# DAG-CBOR error frame: header {"op": -1}, body {"error": "FutureCursor"}.
FUTURE_CURSOR = bytes([0xA1, 0x62]) + b"op" + bytes([0x20, 0xA1, 0x65]) + b"error" + bytes([0x6C]) + b"FutureCursor"


async def small_firehose(path, reader, writer, headers):
    """An empty, live firehose: cursors past 0 are refused, pings are answered."""
    await upgrade(writer, headers)
    if "cursor=" in path and not path.endswith("cursor=0"):
        writer.write(ws_frame(0x2, FUTURE_CURSOR))
        await writer.drain()
        return
    while True:
        b0, b1 = await reader.readexactly(2)
        n = b1 & 0x7F
        if n == 126:
            n = int.from_bytes(await reader.readexactly(2), "big")
        elif n == 127:
            n = int.from_bytes(await reader.readexactly(8), "big")
        mask = await reader.readexactly(4) if b1 & 0x80 else b"\0\0\0\0"
        data = bytes(c ^ mask[i % 4] for i, c in enumerate(await reader.readexactly(n)))
        if b0 & 0x0F == 0x9:
            writer.write(ws_frame(0xA, data))
            await writer.drain()
        elif b0 & 0x0F == 0x8:
            return


async def serve(scenario):
    server = await asyncio.start_server(lambda r, w: handle(scenario, r, w), "127.0.0.1", 0, limit=1 << 20)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


async def get(url):
    host, rest = url.split("://", 1)[1].split("/", 1)
    h, p = host.split(":")
    start = time.monotonic()
    reader, writer = await asyncio.open_connection(h, int(p))
    writer.write(f"GET /{rest} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    return data, time.monotonic() - start


async def load(url, n):
    results = await asyncio.gather(*(get(url) for _ in range(n)), return_exceptions=True)
    ok = sum(1 for r in results if not isinstance(r, BaseException) and b"probe_success 1" in r[0])
    busy = sum(1 for r in results if not isinstance(r, BaseException) and r[0].startswith(b"HTTP/1.1 503"))
    slowest = max((r[1] for r in results if not isinstance(r, BaseException)), default=0.0)
    print(f"{ok}/{n} {slowest:.2f} 503:{busy}")


async def timed(url):
    try:
        _, took = await asyncio.wait_for(get(url), 30)
        print(f"{took:.3f}")
    except asyncio.TimeoutError:
        print("timeout")


async def halfopen(port, n):
    conns = []
    for _ in range(n):
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(b"GET /metrics HTTP/1.1\r\nhost: x\r\n")
        await w.drain()
        conns.append((r, w))
    print("open", flush=True)
    await asyncio.sleep(3600)


def main():
    cmd = sys.argv[1]
    if cmd == "serve":
        asyncio.run(serve(sys.argv[2]))
    elif cmd == "load":
        asyncio.run(load(sys.argv[2], int(sys.argv[3])))
    elif cmd == "timed":
        asyncio.run(timed(sys.argv[2]))
    elif cmd == "halfopen":
        asyncio.run(halfopen(int(sys.argv[2]), int(sys.argv[3])))


if __name__ == "__main__":
    main()
