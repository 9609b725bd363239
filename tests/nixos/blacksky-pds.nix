# rsky-pds generates its keys at first start, migrates its SQLite databases,
# describes itself and keeps its keys across a restart. (Creating an account
# needs a PLC directory, which the VM has not.) Run by the flake with every atnix module imported
# (see ./default.nix).
{ lib, ... }:
{
  name = "blacksky-pds";

  nodes.machine =
    { pkgs, ... }:
    {
      services.blacksky.pds = {
        enable = true;
        hostname = "pds.test";
        inviteRequired = false;
      };
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
      ];
    };

  testScript = ''
    machine.wait_for_unit("blacksky-pds.service")
    machine.wait_for_open_port(2584)

    machine.succeed(
        "curl --fail -s http://127.0.0.1:2584/xrpc/com.atproto.server.describeServer"
        " | jq -e '.did == \"did:web:pds.test\" and .availableUserDomains == [\".pds.test\"] and .inviteCodeRequired == false'"
    )

    # Generated secrets: private to the service user.
    machine.succeed("test \"$(stat -c %U:%a /var/lib/blacksky-pds/secrets/pds-dpop-secret)\" = blacksky-pds:600")
    machine.succeed("test -s /var/lib/blacksky-pds/account.sqlite")

    # Secrets survive a restart (the keys sign the repos).
    before = machine.succeed("sha256sum /var/lib/blacksky-pds/secrets/*")
    machine.systemctl("restart blacksky-pds.service")
    machine.wait_for_unit("blacksky-pds.service")
    machine.wait_for_open_port(2584)
    assert before == machine.succeed("sha256sum /var/lib/blacksky-pds/secrets/*")
  '';
}
