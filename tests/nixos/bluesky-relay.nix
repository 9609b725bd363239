# The relay on SQLite with a generated admin password, and on the host's
# PostgreSQL with a password file; each answers health, the public sync API
# and the authenticated admin API. Run by the flake with every atnix module
# imported (see ./default.nix).
{ lib, ... }:
{
  name = "bluesky-relay";

  nodes = {
    sqlite =
      { pkgs, ... }:
      {
        services.bluesky.relay = {
          enable = true;
          metrics.enable = true;
        };
        environment.systemPackages = [
          pkgs.curl
          pkgs.jq
        ];
      };
    postgres =
      { pkgs, ... }:
      {
        services.postgresql.enable = true;
        services.bluesky.relay = {
          enable = true;
          database.type = "postgresql";
          adminPasswordFile = "/etc/relay-admin-password";
        };
        environment.etc."relay-admin-password".text = "test-admin-password";
        environment.systemPackages = [
          pkgs.curl
          pkgs.jq
        ];
      };
  };

  testScript = ''
    start_all()

    sqlite.wait_for_unit("bluesky-relay.service")
    sqlite.wait_for_open_port(2470)
    sqlite.succeed("curl --fail -s http://127.0.0.1:2470/xrpc/_health | jq -e '.status == \"ok\"'")
    sqlite.succeed("curl --fail -s http://127.0.0.1:2470/xrpc/com.atproto.sync.listHosts | jq -e '.hosts == []'")
    # The generated admin password is private to the service and opens the admin API.
    sqlite.succeed("test \"$(stat -c %a /var/lib/private/bluesky-relay/admin-password)\" = 600")
    pw = sqlite.succeed("cat /var/lib/private/bluesky-relay/admin-password").strip()
    sqlite.succeed(f"curl --fail -s -u 'admin:{pw}' http://127.0.0.1:2470/admin/pds/list | jq -e '. == []'")
    sqlite.fail("curl --fail -s -u admin:wrong http://127.0.0.1:2470/admin/pds/list")
    sqlite.succeed("test -f /var/lib/private/bluesky-relay/relay.sqlite")
    sqlite.wait_for_open_port(2471)
    sqlite.succeed("curl --fail -s http://127.0.0.1:2471/metrics | grep -q '^# TYPE'")

    postgres.wait_for_unit("bluesky-relay.service")
    postgres.wait_for_open_port(2470)
    postgres.succeed("curl --fail -s http://127.0.0.1:2470/xrpc/_health | jq -e '.status == \"ok\"'")
    postgres.succeed("curl --fail -s -u admin:test-admin-password http://127.0.0.1:2470/admin/pds/list | jq -e '. == []'")
    # The relay's tables are in its own database.
    postgres.succeed("sudo -u postgres psql -d bluesky-relay -tAc '\\dt' | grep -q host")
  '';
}
