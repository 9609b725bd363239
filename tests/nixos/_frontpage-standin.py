"""Stand-ins for drainpipe's two peers, standard library only.

    python3 _frontpage-standin.py WS_PORT HOOK_PORT OUT_DIR

- a jetstream on 127.0.0.1:WS_PORT: it answers one websocket handshake at any
  path, records the request line in OUT_DIR/subscribe, sends one commit event
  (a delete in fyi.frontpage.post, as jetstream sends it as text) and keeps
  the connection open;
- frontpage's receive hook on 127.0.0.1:HOOK_PORT: it records each POST's
  Authorization header and body as a JSON line in OUT_DIR/hook and answers 200.
"""

import base64
import hashlib
import http.server
import json
import os
import socket
import sys
import threading

DID = "did:plc:vwzwgnygau7ed7b7wt5ux7y2"
EVENT = {
    "did": DID,
    "time_us": 1733000000000000,
    "kind": "commit",
    "commit": {
        "rev": "3lcfxtestrev22",
        "operation": "delete",
        "collection": "fyi.frontpage.post",
        "rkey": "3lcfxtestrkey",
    },
}
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def text_frame(payload: bytes) -> bytes:
    # Server frames are not masked (RFC 6455 5.1).
    if len(payload) < 126:
        header = bytes([0x81, len(payload)])
    else:
        header = bytes([0x81, 126]) + len(payload).to_bytes(2, "big")
    return header + payload


def serve_jetstream(port: int, out: str) -> None:
    listener = socket.create_server(("127.0.0.1", port))
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=jetstream_client, args=(conn, out), daemon=True).start()


def jetstream_client(conn: socket.socket, out: str) -> None:
    request = b""
    while b"\r\n\r\n" not in request:
        chunk = conn.recv(4096)
        if not chunk:
            return
        request += chunk
    head = request.split(b"\r\n\r\n", 1)[0].decode()
    lines = head.split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
    with open(os.path.join(out, "subscribe"), "a") as f:
        f.write(lines[0] + "\n")
    accept = base64.b64encode(hashlib.sha1((headers["sec-websocket-key"] + WS_GUID).encode()).digest()).decode()
    conn.sendall(
        (
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
        ).encode()
    )
    conn.sendall(text_frame(json.dumps(EVENT).encode()))
    # Hold the connection: drainpipe reconnects when it closes.
    while conn.recv(4096):
        pass


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        record = {"path": self.path, "authorization": self.headers.get("Authorization"), "body": json.loads(body)}
        with open(os.path.join(self.server.out, "hook"), "a") as f:
            f.write(json.dumps(record) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


def main() -> None:
    ws_port, hook_port, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    os.makedirs(out, exist_ok=True)
    # The hook listens before the jetstream can hand out the event.
    server = http.server.HTTPServer(("127.0.0.1", hook_port), Hook)
    server.out = out
    threading.Thread(target=serve_jetstream, args=(ws_port, out), daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
