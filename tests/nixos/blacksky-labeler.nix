# rsky-labeler logs in to its agent and reads the firehose of a local
# rsky-pds. No moderation service or PLC directory runs in the VM, so the
# agent is a stub answering only com.atproto.server.createSession (the one
# call rsky-labeler makes before subscribing); the test checks the login
# reached it with the password from the credential, that the subscriber holds
# a websocket to the PDS's subscribeRepos, and that it stays up. Run by the
# flake with every atnix module imported (see ./default.nix).
{ lib, ... }:
let
  agentPort = 8090;
in
{
  name = "blacksky-labeler";

  nodes.machine =
    { pkgs, lib, ... }:
    {
      services.blacksky.pds = {
        enable = true;
        hostname = "pds.test";
      };
      services.blacksky.labeler = {
        enable = true;
        subscriptionPath = "ws://127.0.0.1:2584";
        agentUrl = "http://127.0.0.1:${toString agentPort}";
        serviceDid = "did:plc:ar7c4by46qjdydhdevvrndac";
        email = "mod@pds.test";
        passwordFile = "/etc/mod-service-password";
      };
      environment.etc."mod-service-password".text = "test-password";
      environment.systemPackages = [ pkgs.iproute2 ];

      systemd.services.stub-agent = {
        wantedBy = [ "multi-user.target" ];
        # rsky-labeler exits when its login fails, so it starts only once the
        # stub listens (Type=notify, READY=1 sent after the bind).
        before = [ "blacksky-labeler.service" ];
        requiredBy = [ "blacksky-labeler.service" ];
        serviceConfig.Type = "notify";
        serviceConfig.ExecStart = "${lib.getExe pkgs.python3} ${pkgs.writeText "stub-agent.py" ''
          import json, os, socket
          from http.server import BaseHTTPRequestHandler, HTTPServer

          class Handler(BaseHTTPRequestHandler):
              def do_POST(self):
                  body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                  if self.path != "/xrpc/com.atproto.server.createSession":
                      self.send_error(404)
                      return
                  req = json.loads(body)
                  ok = req.get("identifier") == "mod@pds.test" and req.get("password") == "test-password"
                  print("login", "ok" if ok else "refused", flush=True)
                  if not ok:
                      self.send_error(401)
                      return
                  out = json.dumps({
                      "accessJwt": "access", "refreshJwt": "refresh",
                      "handle": "mod.pds.test", "did": "did:plc:ar7c4by46qjdydhdevvrndac",
                  }).encode()
                  self.send_response(200)
                  self.send_header("Content-Type", "application/json")
                  self.send_header("Content-Length", str(len(out)))
                  self.end_headers()
                  self.wfile.write(out)

          server = HTTPServer(("127.0.0.1", ${toString agentPort}), Handler)
          notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
          notify.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
          server.serve_forever()
        ''}";
      };
    };

  testScript = ''
    machine.wait_for_unit("blacksky-pds.service")
    machine.wait_for_open_port(2584)
    machine.wait_for_unit("stub-agent.service")
    machine.wait_for_unit("blacksky-labeler.service")

    machine.wait_until_succeeds("journalctl -u stub-agent.service | grep -q 'login ok'", timeout=60)
    # An established connection from the subscriber to the PDS.
    machine.wait_until_succeeds(
        "ss -Htnp state established '( dport = :2584 )' | grep -q rsky-labeler", timeout=60
    )
    machine.sleep(10)
    machine.succeed("systemctl is-active blacksky-labeler.service")
    assert "0" == machine.succeed("systemctl show -P NRestarts blacksky-labeler.service").strip()
  '';
}
