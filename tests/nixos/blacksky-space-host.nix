# rsky-space-host on its own: it starts with the signing key from a
# credential (never in the unit's environment or command line), answers
# /xrpc/_health on loopback only, refuses getSpace without a space credential,
# and keeps its state database under its state directory. Minting a
# credential needs the authority's DID document from a PLC directory, which
# no VM reaches. Run by the flake with every atnix module imported (see
# ./default.nix).
{ ... }:
let
  key = "4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";
in
{
  name = "blacksky-space-host";

  nodes.machine =
    { pkgs, ... }:
    {
      services.blacksky.space-host = {
        enable = true;
        authorityDid = "did:plc:ar7c4by46qjdydhdevvrndac";
        signingKeyFile = "/etc/space-signing-key";
        members = [ "did:plc:ewvi7nxzyoun6zhxrhs64oiz" ];
      };
      environment.etc."space-signing-key".text = key;
      environment.systemPackages = [
        pkgs.curl
        pkgs.iproute2
        pkgs.jq
      ];
    };

  testScript = ''
    machine.wait_for_unit("blacksky-space-host.service")
    machine.wait_for_open_port(3600)
    machine.succeed("curl -fsS http://127.0.0.1:3600/xrpc/_health | jq -e '.version | length > 0'")
    machine.succeed("ss -Htln '( sport = :3600 )' | grep -q '127.0.0.1:3600'")
    machine.fail("ss -Htln '( sport = :3600 )' | grep -v '127.0.0.1:3600' | grep -q .")

    space = "at://did:plc:ar7c4by46qjdydhdevvrndac/space/community.blacksky.feed/main"
    out = machine.succeed(f"curl -s -w ' %{{http_code}}' 'http://127.0.0.1:3600/xrpc/com.atproto.space.getSpace?space={space}'")
    assert out.endswith(" 401") and "AuthenticationRequired" in out, out

    machine.succeed("test -s /var/lib/blacksky-space-host/space_host.db")
    # The key is read from the credential at start, so it appears in neither
    # the unit's environment nor any command line.
    machine.fail("systemctl show -P Environment blacksky-space-host.service | grep -q ${key}")
    machine.fail("grep -q ${key} /proc/$(systemctl show -P MainPID blacksky-space-host.service)/cmdline")
    assert "0" == machine.succeed("systemctl show -P NRestarts blacksky-space-host.service").strip()
  '';
}
