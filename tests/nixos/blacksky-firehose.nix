# rsky-firehose reads the firehose of a local rsky-pds and feeds a local
# rsky-feedgen: the test checks the subscriber holds a websocket to the
# PDS's subscribeRepos and stays up. Run by the flake with every atnix module
# imported (see ./default.nix).
{ lib, ... }:
{
  name = "blacksky-firehose";

  nodes.machine =
    { pkgs, ... }:
    {
      services.blacksky.pds = {
        enable = true;
        hostname = "pds.test";
      };
      services.blacksky.feedgen = {
        enable = true;
        hostname = "feeds.test";
        apiKeyFile = "/etc/rsky-api-key";
      };
      services.blacksky.firehose = {
        enable = true;
        subscriptionPath = "ws://127.0.0.1:2584";
        apiKeyFile = "/etc/rsky-api-key";
      };
      environment.etc."rsky-api-key".text = "test-key";
      environment.systemPackages = [ pkgs.iproute2 ];
    };

  testScript = ''
    machine.wait_for_unit("blacksky-pds.service")
    machine.wait_for_open_port(2584)
    machine.wait_for_unit("blacksky-feedgen.service")
    machine.wait_for_unit("blacksky-firehose.service")

    # An established connection from the subscriber to the PDS.
    machine.wait_until_succeeds(
        "ss -Htnp state established '( dport = :2584 )' | grep -q rsky-firehose", timeout=60
    )
    machine.sleep(10)
    machine.succeed("systemctl is-active blacksky-firehose.service")
    assert "0" == machine.succeed("systemctl show -P NRestarts blacksky-firehose.service").strip()
  '';
}
