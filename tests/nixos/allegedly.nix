# allegedly wraps a (fake) did-method-plc server: health and a proxied DID.
# Run by the flake with every atnix module imported (see ./default.nix).
{ lib, ... }:
{
  name = "allegedly";

  nodes.machine =
    { pkgs, ... }:
    let
      fakes = import ./microcosm-fakes.nix { inherit pkgs; };
    in
    {
      services.allegedly = {
        enable = true;
        mode = "wrap";
        wrap = "http://127.0.0.1:2582";
      };
      systemd.services.fake-plc = fakes.plcService;
      systemd.services.allegedly.after = [ "fake-plc.service" ];
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
      ];
    };

  testScript = ''
    machine.wait_for_unit("fake-plc.service")
    machine.wait_for_open_port(2582)
    machine.wait_for_unit("allegedly.service")
    machine.wait_for_open_port(8000)

    # /_health reports the wrapped server's own /_health.
    machine.succeed(
        "curl --fail -s http://127.0.0.1:8000/_health"
        " | jq -e '.server == \"allegedly (mirror)\" and .wrapped_plc.version == \"fake-plc-0\"'"
    )
    # Reads are proxied to the wrapped server.
    machine.succeed(
        "curl --fail -s http://127.0.0.1:8000/did:plc:abc123 | jq -e '.id == \"did:plc:abc123\"'"
    )
    # Without the wrapped server, health turns into a 502.
    machine.systemctl("stop fake-plc.service")
    status = machine.succeed("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8000/_health")
    assert status == "502", f"expected 502 from /_health without the wrapped server, got {status}"
  '';
}
