# drainpipe between stand-ins for its two peers (./_frontpage-standin.py): a
# jetstream that sends one frontpage commit, and frontpage's receive hook. The
# test checks that drainpipe subscribes to frontpage's collections, POSTs the
# commit to the hook with the secret from its credential, keeps its cursor in
# the state directory and serves metrics on loopback. Run by the flake with
# every atnix module imported (see ./default.nix).
{ lib, ... }:
{
  name = "frontpage-drainpipe";

  nodes.machine =
    { pkgs, ... }:
    {
      systemd.services.frontpage-standin = {
        wantedBy = [ "multi-user.target" ];
        before = [ "frontpage-drainpipe.service" ];
        serviceConfig = {
          DynamicUser = true;
          RuntimeDirectory = "frontpage-standin";
          ExecStart = "${lib.getExe pkgs.python3} ${./_frontpage-standin.py} 6008 3000 /run/frontpage-standin";
        };
      };
      services.frontpage.drainpipe = {
        enable = true;
        consumerUrl = "http://127.0.0.1:3000/api/receive_hook";
        consumerSecretFile = "/etc/drainpipe-secret";
        jetstreamUrl = "ws://127.0.0.1:6008/subscribe";
        metrics.enable = true;
      };
      environment.etc."drainpipe-secret".text = "test-secret";
      environment.systemPackages = [
        pkgs.curl
        pkgs.iproute2
      ];
    };

  testScript = ''
    import json

    machine.wait_for_unit("frontpage-standin.service")
    machine.wait_for_open_port(6008)
    machine.wait_for_open_port(3000)
    machine.wait_for_unit("frontpage-drainpipe.service")
    machine.wait_for_open_port(9898)

    # Subscribed to frontpage's collections only.
    machine.wait_until_succeeds("test -s /run/frontpage-standin/subscribe", timeout=60)
    subscribe = machine.succeed("cat /run/frontpage-standin/subscribe")
    assert "wantedCollections=fyi.unravel.frontpage.*" in subscribe, subscribe
    assert "wantedCollections=fyi.frontpage.*" in subscribe, subscribe

    # The commit reached the hook, with the secret as a bearer token.
    machine.wait_until_succeeds("test -s /run/frontpage-standin/hook", timeout=60)
    hook = json.loads(machine.succeed("head -n1 /run/frontpage-standin/hook"))
    assert hook["path"] == "/api/receive_hook", hook
    assert hook["authorization"] == "Bearer test-secret", hook
    assert hook["body"]["repo"] == "did:plc:vwzwgnygau7ed7b7wt5ux7y2", hook
    assert hook["body"]["seq"] == "1733000000000000", hook
    assert hook["body"]["ops"] == [{"action": "delete", "path": "fyi.frontpage.post/3lcfxtestrkey"}], hook

    # The cursor store is the sled database in the state directory.
    machine.succeed("test -f /var/lib/frontpage-drainpipe/sled/conf")

    # Metrics on loopback only.
    machine.succeed("curl --fail -s http://127.0.0.1:9898/metrics")
    machine.fail("ss -Htln '( sport = :9898 )' | grep -v 127.0.0.1")

    machine.sleep(5)
    machine.succeed("systemctl is-active frontpage-drainpipe.service")
    assert "0" == machine.succeed("systemctl show -P NRestarts frontpage-drainpipe.service").strip()
  '';
}
