# palomar-sync's followers pass against a local PostgreSQL and a stand-in
# for OpenSearch: a few lines of Python that accept the _bulk API and keep
# what they were sent, so the test checks the exact updates (a real
# OpenSearch needs more memory than the VM has, and would only show that
# the documents changed). The app-view's schema is not packaged here, so the
# test creates bsky.profile_agg with the two columns the job reads and grants
# the job's role SELECT on it, as the schema's owner would. Run by the flake
# with every atnix module imported (see ./default.nix).
{ lib, ... }:
{
  name = "blacksky-palomar-sync";

  nodes.machine =
    { pkgs, ... }:
    {
      services.postgresql.ensureDatabases = [ "bsky" ];
      services.blacksky.palomar-sync = {
        enable = true;
        database.name = "bsky";
        opensearch.url = "http://127.0.0.1:9200";
        profileIndex = "palomar_profile";
        batchSize = 2;
      };
      systemd.services.fake-opensearch = {
        wantedBy = [ "multi-user.target" ];
        serviceConfig.ExecStart = "${pkgs.python3}/bin/python3 ${pkgs.writeText "fake-opensearch.py" ''
          import json
          from http.server import BaseHTTPRequestHandler, HTTPServer

          class Bulk(BaseHTTPRequestHandler):
              def do_POST(self):
                  body = self.rfile.read(int(self.headers["Content-Length"]))
                  with open("/tmp/bulk.ndjson", "ab") as f:
                      f.write(self.path.encode() + b"\n" + body)
                  reply = json.dumps({"errors": False, "items": []}).encode()
                  self.send_response(200 if self.path.endswith("/_bulk") else 404)
                  self.send_header("Content-Type", "application/json")
                  self.send_header("Content-Length", str(len(reply)))
                  self.end_headers()
                  self.wfile.write(reply)

          HTTPServer(("127.0.0.1", 9200), Bulk).serve_forever()
        ''}";
      };
      environment.systemPackages = [ pkgs.jq ];
    };

  testScript = ''
    psql = "sudo -u postgres psql -v ON_ERROR_STOP=1 -d bsky -tAc "

    machine.wait_for_unit("postgresql.service")
    machine.wait_for_unit("fake-opensearch.service")
    machine.wait_for_open_port(9200)
    # Started by its timer, not at boot.
    machine.succeed("systemctl is-active blacksky-palomar-sync.timer")
    machine.fail("systemctl is-active blacksky-palomar-sync.service")

    machine.succeed(psql + "'create schema bsky'")
    machine.succeed(
        psql + "'create table bsky.profile_agg (did text primary key, \"followersCount\" bigint not null)'"
    )
    machine.succeed(
        psql + "\"insert into bsky.profile_agg values"
        " ('did:plc:aaa', 12), ('did:plc:bbb', 0), ('did:plc:ccc', 3), ('did:plc:ddd', 40)\""
    )
    # The job's role, created by the module, may read: denied before the grant.
    machine.fail("systemctl start blacksky-palomar-sync.service")
    machine.succeed(
        "journalctl -a -u blacksky-palomar-sync.service | grep -q 'permission denied'"
    )
    machine.succeed(psql + "'grant usage on schema bsky to \"blacksky-palomar-sync\"'")
    machine.succeed(psql + "'grant select on bsky.profile_agg to \"blacksky-palomar-sync\"'")
    machine.succeed("rm -f /tmp/bulk.ndjson")

    machine.succeed("systemctl start blacksky-palomar-sync.service")
    out = machine.succeed("cat /tmp/bulk.ndjson")
    print(out)
    # Three profiles with followers, in batches of two, keyed by DID; the
    # profile without followers is left alone.
    assert out.count("/palomar_profile/_bulk") == 2, out
    updates = machine.succeed(
        "grep -v '^/' /tmp/bulk.ndjson | jq -c -s '[range(0; length; 2) as $i"
        " | {id: .[$i].update._id, f: .[$i + 1].script.params.f}]'"
    ).strip()
    assert updates == '[{"id":"did:plc:aaa","f":12},{"id":"did:plc:ccc","f":3},{"id":"did:plc:ddd","f":40}]', updates
    machine.succeed(
        "journalctl -a -u blacksky-palomar-sync.service | grep -q 'followersFuzzy sync complete'"
    )
  '';
}
