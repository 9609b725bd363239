# cadet on a local PostgreSQL: the pre-start applies upstream's migrations
# with sqlx-cli as the shared role `teal` (the unit's user is mapped to it by
# pg_ident), and the Prometheus exporter answers on its loopback port. The
# VM has no Jetstream; rocketman keeps retrying, so the unit stays up. Run by
# the flake with every atnix module imported (see ./default.nix).
{ lib, ... }:
{
  name = "teal-cadet";

  nodes.machine =
    { pkgs, ... }:
    {
      services.teal.cadet = {
        enable = true;
        metrics.enable = true;
      };
      environment.systemPackages = [ pkgs.curl ];
    };

  testScript =
    { nodes, ... }:
    let
      migrations = "${nodes.machine.services.teal.cadet.package}/share/teal/migrations";
    in
    ''
      machine.wait_for_unit("postgresql.service")
      machine.wait_for_unit("teal-cadet.service")
      machine.wait_for_open_port(3409)
      machine.succeed("curl --fail -s -o /dev/null http://127.0.0.1:3409/metrics")
      # On loopback only, not on upstream's 0.0.0.0:9000.
      machine.succeed("ss -Htln | grep -q '127.0.0.1:3409 '")
      machine.fail("ss -Htln | grep -q ':9000 '")

      # Every migration applied, the tables owned by the shared role.
      machine.succeed(
          "test \"$(sudo -u postgres psql -d teal -tAc 'select count(*) from _sqlx_migrations where success')\""
          " = \"$(ls ${migrations} | wc -l)\""
      )
      machine.succeed(
          "sudo -u postgres psql -d teal -tAc "
          "\"select tableowner from pg_tables where tablename = 'plays'\" | grep -qx teal"
      )

      # A restart re-runs sqlx, which has nothing left to apply.
      machine.systemctl("restart teal-cadet.service")
      machine.wait_for_unit("teal-cadet.service")
      machine.wait_for_open_port(3409)
    '';
}
