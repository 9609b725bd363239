# rsky-jetstream-subscriber reads a local jetstream (following a local relay)
# and feeds a local rsky-feedgen: the test checks the subscriber holds a
# websocket to jetstream's /subscribe and stays up. Run by the flake with
# every atnix module imported (see ./default.nix).
{ lib, ... }:
{
  name = "blacksky-jetstream-subscriber";

  nodes.machine =
    { pkgs, ... }:
    {
      services.bluesky.relay = {
        enable = true;
        adminPasswordFile = "/etc/relay-admin-password";
      };
      # Test only: secrets in the store are fine for a throwaway VM.
      environment.etc."relay-admin-password".text = "test-admin-password";
      services.bluesky.jetstream = {
        enable = true;
        relayUrl = "http://127.0.0.1:2470";
      };
      systemd.services.bluesky-jetstream.after = [ "bluesky-relay.service" ];
      services.blacksky.feedgen = {
        enable = true;
        hostname = "feeds.test";
        apiKeyFile = "/etc/rsky-api-key";
      };
      services.blacksky.jetstream-subscriber = {
        enable = true;
        wantedCollections = [ "app.bsky.feed.post" ];
        apiKeyFile = "/etc/rsky-api-key";
      };
      environment.etc."rsky-api-key".text = "test-key";
      environment.systemPackages = [ pkgs.iproute2 ];
    };

  testScript = ''
    machine.wait_for_unit("bluesky-jetstream.service")
    machine.wait_for_open_port(6008)
    machine.wait_for_unit("blacksky-feedgen.service")
    machine.wait_for_unit("blacksky-jetstream-subscriber.service")

    # The local jetstream is the default endpoint, the filter is passed on.
    env = machine.succeed("systemctl show -P Environment blacksky-jetstream-subscriber.service")
    assert "JETSTREAM_SERVER_ENDPOINT=ws://127.0.0.1:6008" in env, env
    assert "FILTER_PARAM=wantedCollections=app.bsky.feed.post" in env, env

    # An established connection from the subscriber to jetstream.
    machine.wait_until_succeeds(
        "ss -Htnp state established '( dport = :6008 )' | grep -q rsky-jetstream", timeout=60
    )
    machine.sleep(10)
    machine.succeed("systemctl is-active blacksky-jetstream-subscriber.service")
    assert "0" == machine.succeed("systemctl show -P NRestarts blacksky-jetstream-subscriber.service").strip()
  '';
}
