# pocket initialises its SQLite database, serves its did:web document and the
# static index from its working directory. Run by the flake with every atnix
# module imported (see ./default.nix).
{ lib, ... }:
{
  name = "microcosm-pocket";

  nodes.machine =
    { pkgs, ... }:
    {
      services.microcosm.pocket = {
        enable = true;
        domain = "pocket.test";
      };
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
        pkgs.sqlite
      ];
    };

  testScript = ''
    machine.wait_for_unit("microcosm-pocket.service")
    machine.wait_for_open_port(3000)

    machine.succeed(
        "curl --fail -s http://127.0.0.1:3000/.well-known/did.json"
        " | jq -e '.id == \"did:web:pocket.test\"'"
    )
    machine.succeed("curl --fail -s http://127.0.0.1:3000/ | grep -q 'Pocket: atproto user preference storage'")
    # Preferences need a service-auth JWT: without one the API refuses.
    machine.fail("curl --fail -s http://127.0.0.1:3000/xrpc/com.bad-example.pocket.getPreferences")

    # --init-db ran once; a restart must not run it again (it would fail).
    machine.succeed("sqlite3 /var/lib/microcosm-pocket/prefs.sqlite3 .tables | grep -q prefs")
    machine.systemctl("restart microcosm-pocket.service")
    machine.wait_for_unit("microcosm-pocket.service")
    machine.wait_for_open_port(3000)
  '';
}
