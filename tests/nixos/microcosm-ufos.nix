# ufos starts its fjall store, records the configured jetstream and reports
# both on /meta. Run by the flake with every atnix module imported (see
# ./default.nix).
{ lib, ... }:
{
  name = "microcosm-ufos";

  nodes.machine =
    { config, pkgs, ... }:
    let
      fakes = import ./microcosm-fakes.nix { inherit pkgs; };
    in
    {
      services.microcosm.ufos = {
        enable = true;
        jetstream = fakes.jetstreamUrl;
        metrics.enable = true;
      };
      systemd.services.fake-jetstream = fakes.jetstreamService {
        inherit (config.services.microcosm.ufos.package) src;
        events = fakes.likeEvents;
      };
      systemd.services.microcosm-ufos.after = [ "fake-jetstream.service" ];
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
      ];
    };

  testScript = ''
    machine.wait_for_unit("fake-jetstream.service")
    machine.wait_for_unit("microcosm-ufos.service")
    machine.wait_for_open_port(9990)

    machine.wait_until_succeeds(
        "curl --fail -s http://127.0.0.1:9990/meta"
        " | jq -e '.storage_name == \"fjall storage v2\""
        " and .consumer.jetstream.endpoint == \"ws://127.0.0.1:6008/subscribe\"'",
        timeout=60,
    )
    machine.succeed("curl --fail -s http://127.0.0.1:9990/openapi | jq -e '.paths | has(\"/collections\")'")
    machine.succeed("test -d /var/lib/microcosm-ufos/data")

    machine.wait_for_open_port(8768)
    machine.succeed("curl --fail -s http://127.0.0.1:8768/metrics | grep -q '^# TYPE'")
  '';
}
