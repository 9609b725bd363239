# atproto-exporter probes stand-in ATProto services on the same machine, and
# Prometheus (through the module's scrape configurations) records the results.
# Run by the flake with every atnix module imported (see ./default.nix).
{ lib, ... }:
{
  name = "atproto-exporter";

  nodes.machine =
    { config, pkgs, ... }:
    let
      # A stand-in PDS on :3000 (health, describeServer, listRepos, the handle
      # well-known) and PLC directory on :2582 (health, DID document, export).
      fakes = pkgs.writeText "fake-atproto.py" ''
        import json, sys
        from datetime import datetime, timezone
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from threading import Thread

        DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"

        class Pds(BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?")[0]
                host = (self.headers.get("Host") or "").split(":")[0]
                if path == "/xrpc/_health":
                    return self.send(200, {"version": "0.4.217"})
                if path == "/xrpc/com.atproto.server.describeServer":
                    return self.send(200, {"did": "did:web:127.0.0.1", "availableUserDomains": [".test"]})
                if path == "/xrpc/com.atproto.sync.listRepos":
                    return self.send(200, {"repos": [{"did": DID, "head": "bafy", "rev": "3l", "active": True}]})
                if path == "/.well-known/atproto-did" and host == "alice.test":
                    return self.send(200, DID, "text/plain")
                self.send(404, {"error": "NotFound"})

            def send(self, status, body, ctype="application/json"):
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(status)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Plc(Pds):
            def do_GET(self):
                path = self.path.split("?")[0]
                if path == "/_health":
                    return self.send(200, {"version": "fake"})
                if path == "/" + DID:
                    return self.send(200, {
                        "id": DID,
                        "alsoKnownAs": ["at://alice.test"],
                        "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": "http://127.0.0.1:3000"}],
                    })
                if path == "/export":
                    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
                    return self.send(200, json.dumps({"did": DID, "operation": {}, "cid": "x", "nullified": False, "createdAt": now}), "application/jsonlines")
                self.send(404, {"message": "not found"})

        Thread(target=ThreadingHTTPServer(("127.0.0.1", 2582), Plc).serve_forever, daemon=True).start()
        ThreadingHTTPServer(("127.0.0.1", 3000), Pds).serve_forever()
      '';
    in
    {
      systemd.services.fake-atproto = {
        wantedBy = [ "multi-user.target" ];
        serviceConfig = {
          ExecStart = "${lib.getExe pkgs.python3} ${fakes}";
          DynamicUser = true;
        };
      };

      services.atproto-exporter = {
        enable = true;
        # Every target here is on loopback.
        allowedIPs = [ ];
        settings.modules = {
          pds_local = {
            prober = "pds";
            # The stand-in has no firehose.
            firehose = false;
          };
          handle_local = {
            prober = "handle";
            dns = false;
            http_base = "http://127.0.0.1:3000";
            plc_url = "http://127.0.0.1:2582";
            expect_pds = "http://127.0.0.1:3000";
          };
        };
        prometheus = {
          targets = {
            pds_local = [ "http://127.0.0.1:3000" ];
            handle_local = [ "alice.test" ];
            plc = [ "http://127.0.0.1:2582" ];
          };
          scrapeInterval = "5s";
          scrapeTimeout = "4s";
        };
      };
      services.prometheus.enable = true;

      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
      ];
    };

  testScript = ''
    machine.wait_for_unit("fake-atproto.service")
    machine.wait_for_open_port(3000)
    machine.wait_for_open_port(2582)
    machine.wait_for_unit("atproto-exporter.service")
    machine.wait_for_open_port(9197)

    probe = "curl --fail -s 'http://127.0.0.1:9197/probe?target={}&module={}'"

    # Healthy stand-ins: 1, with the account counted and the version as info.
    out = machine.succeed(probe.format("http://127.0.0.1:3000", "pds_local"))
    assert "\nprobe_success 1.0\n" in out, out
    assert 'atproto_pds_accounts{status="active"} 1.0' in out, out
    assert 'atproto_service_info{kind="pds",version="0.4.217"} 1' in out, out
    out = machine.succeed(probe.format("alice.test", "handle_local"))
    assert "\nprobe_success 1.0\n" in out, out
    assert "\natproto_did_doc_pds_match 1.0\n" in out, out
    out = machine.succeed(probe.format("http://127.0.0.1:2582", "plc"))
    assert "\nprobe_success 1.0\n" in out, out

    # A handle the stand-in does not host, and garbage targets: 0, still up.
    out = machine.succeed(probe.format("bob.test", "handle_local"))
    assert "\nprobe_success 0.0\n" in out, out
    out = machine.succeed(probe.format("%00garbage", "pds"))
    assert "\nprobe_success 0.0\n" in out, out
    machine.succeed("systemctl is-active atproto-exporter.service")

    # Prometheus scrapes through the relabelled jobs and sees success.
    machine.wait_for_unit("prometheus.service")
    machine.wait_until_succeeds(
        "curl --fail -s 'http://127.0.0.1:9090/api/v1/query?query=probe_success' | "
        "jq -e '[.data.result[] | select(.value[1] == \"1\")] | length == 3'",
        timeout=120,
    )
    machine.succeed(
        "curl --fail -s 'http://127.0.0.1:9090/api/v1/query?query=probe_success{job=\"atproto-handle_local\",instance=\"alice.test\"}' | "
        "jq -e '.data.result[0].value[1] == \"1\"'"
    )
    machine.wait_until_succeeds(
        "curl --fail -s 'http://127.0.0.1:9090/api/v1/query?query=atproto_exporter_probes_total' | "
        "jq -e '.data.result | length > 0'",
        timeout=60,
    )

    # Stopped target: 0.
    machine.systemctl("stop fake-atproto.service")
    out = machine.succeed(probe.format("http://127.0.0.1:3000", "pds_local"))
    assert "\nprobe_success 0.0\n" in out, out
    machine.succeed("curl --fail -s http://127.0.0.1:9197/metrics | grep -q '^atproto_exporter_probes_total'")
  '';
}
