# rsky-daemon beside its space host on one machine, in upstream's development
# mode (a static space credential; minting needs a PDS and a PLC directory no
# VM reaches). The test checks that the daemon finds the local space host by
# default, opens its index under the state directory, answers on its notify
# listener on loopback only (an unsigned notification is refused), keeps its
# tokens out of the unit's environment and command line, and stops cleanly on
# SIGINT. Run by the flake with every atnix module imported (see
# ./default.nix).
{ ... }:
let
  credential = "test-static-credential";
in
{
  name = "blacksky-daemon";

  nodes.machine =
    { pkgs, ... }:
    {
      services.blacksky.space-host = {
        enable = true;
        authorityDid = "did:plc:ar7c4by46qjdydhdevvrndac";
        signingKeyFile = "/etc/space-signing-key";
      };
      services.blacksky.daemon = {
        enable = true;
        spaceUri = "at://did:plc:ar7c4by46qjdydhdevvrndac/space/community.blacksky.feed/main";
        serviceIdentity = "did:web:syncer.test";
        staticCredentialFile = "/etc/space-credential";
      };
      environment.etc."space-signing-key".text = "4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";
      environment.etc."space-credential".text = credential;
      environment.systemPackages = [
        pkgs.curl
        pkgs.iproute2
      ];
    };

  testScript = ''
    machine.wait_for_unit("blacksky-space-host.service")
    machine.wait_for_unit("blacksky-daemon.service")
    machine.wait_for_open_port(8055)
    machine.succeed("systemctl show -P ExecStart blacksky-daemon.service | grep -q blacksky-daemon-start")
    machine.succeed("grep -q -- '--space-host-url' /proc/$(systemctl show -P MainPID blacksky-daemon.service)/cmdline")
    machine.succeed("tr '\\0' ' ' < /proc/$(systemctl show -P MainPID blacksky-daemon.service)/cmdline | grep -q 'http://127.0.0.1:3600'")

    code = machine.succeed("curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d '{\"space\": \"at://x/space/t/main\", \"repo\": \"did:plc:x\", \"rev\": \"x\"}' http://127.0.0.1:8055/xrpc/com.atproto.space.notifyWrite").strip()
    assert code == "401", code
    machine.succeed("ss -Htln '( sport = :8055 )' | grep -q '127.0.0.1:8055'")
    machine.fail("ss -Htln '( sport = :8055 )' | grep -v '127.0.0.1:8055' | grep -q .")

    machine.wait_until_succeeds("test -e /var/lib/blacksky-daemon/index.sqlite", timeout=30)
    machine.fail("systemctl show -P Environment blacksky-daemon.service | grep -q ${credential}")
    machine.fail("grep -q ${credential} /proc/$(systemctl show -P MainPID blacksky-daemon.service)/cmdline")

    machine.succeed("systemctl stop blacksky-daemon.service")
    machine.succeed("journalctl -u blacksky-daemon.service | grep -q 'ctrl-c received; shutting down'")
    assert "success" == machine.succeed("systemctl show -P Result blacksky-daemon.service").strip()
  '';
}
