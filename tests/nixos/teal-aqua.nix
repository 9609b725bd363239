# aqua on a local PostgreSQL: the pre-start applies upstream's migrations,
# the XRPC stats answer from the views they create, and the did:web document
# names the configured host and key. Run by the flake with every atnix module
# imported (see ./default.nix).
{ lib, ... }:
{
  name = "teal-aqua";

  nodes.machine =
    { pkgs, ... }:
    {
      services.teal.aqua = {
        enable = true;
        hostname = "aqua.test";
        publicKeyMultibase = "zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme";
      };
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
      ];
    };

  testScript = ''
    machine.wait_for_unit("postgresql.service")
    machine.wait_for_unit("teal-aqua.service")
    machine.wait_for_open_port(3400)
    machine.succeed("ss -Htln | grep -q '127.0.0.1:3400 '")
    machine.fail("ss -Htln | grep -q ':3000 '")

    machine.succeed(
        "curl --fail -s http://127.0.0.1:3400/.well-known/did.json"
        " | jq -e '.id == \"did:web:aqua.test\""
        " and .verificationMethod[0].publicKeyMultibase == \"zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme\"'"
    )
    machine.succeed(
        "curl --fail -s http://127.0.0.1:3400/xrpc/fm.teal.stats.getTopArtists | jq -e '.artists == []'"
    )
  '';
}
