# rainbow in front of a local relay: its own health, the relay's sync API
# proxied through it, and its subscription to the relay's firehose counted
# in the relay's consumer list. Run by the flake with every atnix module
# imported (see ./default.nix).
{ lib, ... }:
{
  name = "bluesky-rainbow";

  nodes.machine =
    { pkgs, ... }:
    {
      services.bluesky.relay = {
        enable = true;
        adminPasswordFile = "/etc/relay-admin-password";
      };
      # Test only: a password in the store is fine for a throwaway VM.
      environment.etc."relay-admin-password".text = "test-admin-password";
      services.bluesky.rainbow = {
        enable = true;
        upstreamHost = "http://127.0.0.1:2470";
        metrics.enable = true;
      };
      systemd.services.bluesky-rainbow.after = [ "bluesky-relay.service" ];
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
      ];
    };

  testScript = ''
    machine.wait_for_unit("bluesky-relay.service")
    machine.wait_for_unit("bluesky-rainbow.service")
    machine.wait_for_open_port(2480)
    machine.succeed("curl --fail -s http://127.0.0.1:2480/xrpc/_health | jq -e '.status == \"ok\"'")
    # Proxied to the relay.
    machine.succeed("curl --fail -s http://127.0.0.1:2480/xrpc/com.atproto.sync.listHosts | jq -e '.hosts == []'")
    # rainbow holds a firehose subscription on the relay.
    machine.wait_until_succeeds(
        "curl --fail -s -u admin:test-admin-password http://127.0.0.1:2470/admin/consumers/list | jq -e 'length == 1'",
        timeout=60,
    )
    machine.succeed("test -s /var/lib/private/bluesky-rainbow/rainbow.db/CURRENT")
    machine.wait_for_open_port(2481)
    machine.succeed("curl --fail -s http://127.0.0.1:2481/metrics | grep -q 'pool=\"splitter\"'")
  '';
}
