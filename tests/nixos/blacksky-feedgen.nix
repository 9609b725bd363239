# rsky-feedgen on a local PostgreSQL: the pre-start applies upstream's
# diesel migrations as the unit's own role (peer authentication), the
# service answers its did:web document, and the queue endpoint wants the
# API key. Run by the
# flake with every atnix module imported (see ./default.nix).
{ lib, ... }:
{
  name = "blacksky-feedgen";

  nodes.machine =
    { pkgs, ... }:
    {
      services.blacksky.feedgen = {
        enable = true;
        hostname = "feeds.test";
        apiKeyFile = "/etc/rsky-api-key";
      };
      environment.etc."rsky-api-key".text = "test-key";
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
      ];
    };

  testScript = ''
    machine.wait_for_unit("postgresql.service")
    machine.wait_for_unit("blacksky-feedgen.service")
    machine.wait_for_open_port(8010)

    machine.succeed(
        "curl --fail -s http://127.0.0.1:8010/.well-known/did.json"
        " | jq -e '.id == \"did:web:feeds.test\" and .service[0].serviceEndpoint == \"https://feeds.test\"'"
    )

    # Migrations ran, owned by the service's role.
    machine.succeed(
        "sudo -u postgres psql -d blacksky-feedgen -tAc "
        "'select count(*) from __diesel_schema_migrations' | grep -qv '^0$'"
    )
    machine.succeed(
        "sudo -u postgres psql -d blacksky-feedgen -tAc "
        "\"select tableowner from pg_tables where tablename = 'post'\" | grep -qx blacksky-feedgen"
    )

    # The queue endpoint needs the key; without it the request is refused.
    machine.fail(
        "curl --fail -s -X PUT -H 'Content-Type: application/json'"
        " http://127.0.0.1:8010/queue/posts/create -d '[]'"
    )

    # A restart re-runs diesel, which has nothing left to apply.
    machine.systemctl("restart blacksky-feedgen.service")
    machine.wait_for_unit("blacksky-feedgen.service")
    machine.wait_for_open_port(8010)
  '';
}
