# leaflet against a stand-in for Supabase's REST API: the front page (the
# about page, no data needed) is served, the middleware's custom-domain lookup
# reaches the stand-in with the service role key read from its credential
# file, and the generated cross-site secret is kept across restarts.
# Run by the flake with every atnix module imported (see ./default.nix).
{ lib, ... }:
{
  name = "leaflet";

  nodes.machine =
    { pkgs, ... }:
    let
      # PostgREST answers `.single()` on no rows with 406; the request's
      # apikey header is recorded for the test to compare.
      fakeSupabase = pkgs.writeText "fake-supabase.py" ''
        import http.server

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with open("/run/fake-supabase/requests", "a") as log:
                    log.write(self.path + " " + self.headers.get("apikey", "") + "\n")
                body = b'{"code":"PGRST116","message":"JSON object requested, multiple (or no) rows returned"}'
                self.send_response(406)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        http.server.HTTPServer(("127.0.0.1", 54321), Handler).serve_forever()
      '';
    in
    {
      services.leaflet = {
        enable = true;
        publicUrl = "http://127.0.0.1:3090";
        supabase = {
          url = "http://127.0.0.1:54321";
          serviceRoleKeyFile = "/etc/leaflet/service-role-key";
        };
        database.urlFile = "/etc/leaflet/db-url";
      };
      environment.etc."leaflet/service-role-key".text = "test-service-role-key";
      environment.etc."leaflet/db-url".text = "postgresql://postgres@127.0.0.1:5432/postgres";
      systemd.services.fake-supabase = {
        wantedBy = [ "multi-user.target" ];
        before = [ "leaflet.service" ];
        serviceConfig = {
          ExecStart = "${lib.getExe pkgs.python3} ${fakeSupabase}";
          RuntimeDirectory = "fake-supabase";
        };
      };
      environment.systemPackages = [ pkgs.curl ];
    };

  testScript = ''
    machine.wait_for_unit("fake-supabase.service")
    machine.wait_for_open_port(54321)
    machine.wait_for_unit("leaflet.service")
    machine.wait_for_open_port(3090)

    page = machine.succeed("curl --fail -s -H 'Host: leaflet.test' http://127.0.0.1:3090/")
    assert "social publishing" in page, page[:500]

    # The middleware looked leaflet.test up as a custom domain, with the key.
    machine.succeed("grep -q '^/rest/v1/custom_domains.* test-service-role-key$' /run/fake-supabase/requests")

    secret = machine.succeed("cat /var/lib/leaflet/cross-site-auth-secret")
    machine.succeed("test \"$(stat -L -c %a /var/lib/leaflet/cross-site-auth-secret)\" = 600")
    machine.systemctl("restart leaflet.service")
    machine.wait_for_open_port(3090)
    assert machine.succeed("cat /var/lib/leaflet/cross-site-auth-secret") == secret
  '';
}
