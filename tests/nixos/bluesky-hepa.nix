# hepa against a local relay: it subscribes to the relay's firehose (seen
# in the relay's consumer list with hepa's user agent) and serves the
# automod metrics. Run by the flake with every atnix module imported (see
# ./default.nix).
{ lib, ... }:
{
  name = "bluesky-hepa";

  nodes.machine =
    { pkgs, ... }:
    {
      services.bluesky.relay = {
        enable = true;
        adminPasswordFile = "/etc/relay-admin-password";
      };
      # Test only: a password in the store is fine for a throwaway VM.
      environment.etc."relay-admin-password".text = "test-admin-password";
      services.bluesky.hepa = {
        enable = true;
        relayHost = "ws://127.0.0.1:2470";
        # Nothing leaves the VM: no Ozone, PDS or AppView is reachable.
        ozoneHost = "http://127.0.0.1:9";
        pdsHost = "http://127.0.0.1:9";
        bskyHost = "http://127.0.0.1:9";
      };
      systemd.services.bluesky-hepa.after = [ "bluesky-relay.service" ];
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
      ];
    };

  testScript = ''
    machine.wait_for_unit("bluesky-relay.service")
    machine.wait_for_unit("bluesky-hepa.service")
    machine.wait_for_open_port(3989)
    machine.succeed("curl --fail -s http://127.0.0.1:3989/metrics | grep -q '^automod_'")
    machine.wait_until_succeeds(
        "curl --fail -s -u admin:test-admin-password http://127.0.0.1:2470/admin/consumers/list"
        " | jq -e 'map(select(.user_agent | startswith(\"hepa/\"))) | length == 1'",
        timeout=60,
    )
  '';
}
