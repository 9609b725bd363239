# Stand-ins for the network the microcosm VM tests cannot reach (not a test
# itself; not listed in ./default.nix).
#
# - a jetstream: a websocket at ws://127.0.0.1:6008/subscribe that sends each
#   event of a JSONL file once (to the first connection still open when the
#   optional WAIT_FOR file exists, so reconnects do not duplicate them),
#   zstd-compressed with jetstream's dictionary when the client asks
#   `compress=true`, then keeps the connection open;
# - a websocket client that waits for one message;
# - a did-method-plc server at http://127.0.0.1:2582 answering /_health and
#   /did:plc:* like the reference server does.
{ pkgs }:
let
  inherit (pkgs) lib;
  python = pkgs.python3.withPackages (ps: [
    ps.websockets
    ps.zstandard
  ]);

  jetstreamPy = pkgs.writeText "fake-jetstream.py" ''
    import asyncio, json, os, sys, time
    import websockets, zstandard

    dict_path, port, events_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    zdict = zstandard.ZstdCompressionDict(open(dict_path, "rb").read())
    cctx = zstandard.ZstdCompressor(dict_data=zdict)
    events = [json.loads(l) for l in open(events_path) if l.strip()]
    sent = False
    wait_for = os.environ.get("WAIT_FOR")

    async def handler(ws, *legacy_path):
        global sent
        request = getattr(ws, "request", None)
        path = request.path if request is not None else (legacy_path[0] if legacy_path else ws.path)
        compress = "compress=true" in path
        print(f"client connected: {path}", flush=True)
        # Optionally hold the events back until a test says go.
        while wait_for and not os.path.exists(wait_for):
            await asyncio.sleep(0.5)
        if not sent:
            now = int(time.time() * 1_000_000)
            try:
                for i, event in enumerate(events):
                    data = json.dumps(dict(event, time_us=now + i))
                    await ws.send(cctx.compress(data.encode()) if compress else data)
            except websockets.ConnectionClosed:
                return
            sent = True
            print(f"sent {len(events)} events", flush=True)
        await ws.wait_closed()

    async def main():
        async with websockets.serve(handler, "127.0.0.1", port):
            await asyncio.Future()

    asyncio.run(main())
  '';

  plcPy = pkgs.writeText "fake-plc.py" ''
    import http.server, json

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/_health":
                body = {"version": "fake-plc-0"}
            elif self.path.startswith("/did:plc:"):
                body = {"id": self.path[1:], "alsoKnownAs": ["at://alice.test"]}
            else:
                self.send_response(404)
                self.end_headers()
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    http.server.HTTPServer(("127.0.0.1", 2582), Handler).serve_forever()
  '';
in
{
  jetstreamUrl = "ws://127.0.0.1:6008/subscribe";

  # A like of at://did:plc:author/app.bsky.feed.post/3lpost: one link at
  # `.subject.uri` in app.bsky.feed.like.
  likedPost = "at://did:plc:author/app.bsky.feed.post/3lpost";
  likeEvents = pkgs.writeText "like-events.jsonl" (
    builtins.toJSON {
      did = "did:plc:liker";
      time_us = 0;
      kind = "commit";
      commit = {
        rev = "3lrev";
        operation = "create";
        collection = "app.bsky.feed.like";
        rkey = "3lrkey";
        record = {
          "$type" = "app.bsky.feed.like";
          createdAt = "2026-01-01T00:00:00.000Z";
          subject = {
            cid = "bafyreidsemiehpaya7tpoqfsgxvxkepmwmzfljvdovbvmmiznxuks5injm";
            uri = "at://did:plc:author/app.bsky.feed.post/3lpost";
          };
        };
        cid = "bafyreigkwjseqkf4yhzcayjp3zkzqzg2frn7brxoxxfnxnfezcgj7tzze4";
      };
    }
    + "\n"
  );

  # systemd unit for the fake jetstream; `src` is the microcosm-rs source
  # (for jetstream/zstd/dictionary), `events` a JSONL file.
  jetstreamService =
    {
      src,
      events,
      waitFor ? null,
    }:
    {
      wantedBy = [ "multi-user.target" ];
      environment = lib.optionalAttrs (waitFor != null) { WAIT_FOR = waitFor; };
      serviceConfig.ExecStart = "${python}/bin/python3 ${jetstreamPy} ${src}/jetstream/zstd/dictionary 6008 ${events}";
    };

  # A websocket client: connects to `url`, touches `<out>.ready`, and writes
  # the first message containing `needle` to `out`.
  wsClient = pkgs.writeText "ws-client.py" ''
    import asyncio, sys
    import websockets

    url, needle, out = sys.argv[1], sys.argv[2], sys.argv[3]

    async def main():
        async with websockets.connect(url) as ws:
            open(out + ".ready", "w").close()
            while True:
                msg = await ws.recv()
                if needle in msg:
                    with open(out, "w") as f:
                        f.write(msg)
                    return

    asyncio.run(main())
  '';
  inherit python;

  plcService = {
    wantedBy = [ "multi-user.target" ];
    serviceConfig.ExecStart = "${pkgs.python3}/bin/python3 ${plcPy}";
  };
}
