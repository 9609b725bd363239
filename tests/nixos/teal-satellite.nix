# satellite on a local PostgreSQL: the pre-start applies upstream's
# migrations, and the stats API answers from the tables they create, on the
# loopback address the module gives it (upstream binds 0.0.0.0:3001). Run by
# the flake with every atnix module imported (see ./default.nix).
{ lib, ... }:
{
  name = "teal-satellite";

  nodes.machine =
    { pkgs, ... }:
    {
      services.teal.satellite.enable = true;
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
      ];
    };

  testScript = ''
    machine.wait_for_unit("postgresql.service")
    machine.wait_for_unit("teal-satellite.service")
    machine.wait_for_open_port(3401)
    machine.succeed("ss -Htln | grep -q '127.0.0.1:3401 '")
    machine.fail("ss -Htln | grep -q ':3001 '")

    machine.succeed(
        "curl --fail -s http://127.0.0.1:3401/actor/count | jq -e '.total_users == 0'"
    )

    # A profile written to the shared database shows up in the count.
    machine.succeed(
        "sudo -u postgres psql -d teal -c "
        "\"insert into profiles (did, handle) values ('did:plc:test', 'test.example.com')\""
    )
    machine.succeed(
        "curl --fail -s http://127.0.0.1:3401/actor/count | jq -e '.total_users == 1'"
    )
  '';
}
