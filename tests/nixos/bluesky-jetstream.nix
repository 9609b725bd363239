# jetstream following a local relay: it subscribes to the relay's firehose
# (seen in the relay's consumer list), serves the zstd dictionary compiled
# into it, and answers health and metrics on the debug listener. Run by the
# flake with every atnix module imported (see ./default.nix).
{ lib, ... }:
{
  name = "bluesky-jetstream";

  nodes.machine =
    { pkgs, ... }:
    {
      services.bluesky.relay = {
        enable = true;
        adminPasswordFile = "/etc/relay-admin-password";
      };
      # Test only: a password in the store is fine for a throwaway VM.
      environment.etc."relay-admin-password".text = "test-admin-password";
      services.bluesky.jetstream = {
        enable = true;
        relayUrl = "http://127.0.0.1:2470";
        metrics.enable = true;
      };
      systemd.services.bluesky-jetstream.after = [ "bluesky-relay.service" ];
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
        pkgs.xxd
      ];
    };

  testScript = ''
    machine.wait_for_unit("bluesky-relay.service")
    machine.wait_for_unit("bluesky-jetstream.service")
    machine.wait_for_open_port(6008)
    machine.succeed("curl --fail -s http://127.0.0.1:6008/ | grep -q '<title>jetstream</title>'")
    # A zstd dictionary starts with the magic 0xEC30A437 (little endian).
    machine.succeed(
        "curl --fail -s http://127.0.0.1:6008/xrpc/network.bsky.jetstream.getZstdDictionary"
        " | head -c 4 | xxd -p | grep -qx 37a430ec"
    )
    machine.wait_until_succeeds(
        "curl --fail -s -u admin:test-admin-password http://127.0.0.1:2470/admin/consumers/list"
        " | jq -e 'length == 1'",
        timeout=60,
    )
    machine.wait_for_open_port(6009)
    machine.succeed("curl --fail -s http://127.0.0.1:6009/healthz")
    machine.succeed("curl --fail -s http://127.0.0.1:6009/metrics | grep -q '^jetstream_'")
    machine.succeed("test -d /var/lib/private/bluesky-jetstream/segments")
  '';
}
