# services.bluesky.plc on a local PostgreSQL: the server migrates its
# database at start as its own role (peer authentication), answers /_health,
# and a PDS pointed at it registers a new account's DID with a signed genesis
# operation, which the directory then serves as a DID document and an audit
# log. A forged update is refused. Run by the flake with every atnix module
# imported (see ./default.nix).
{ lib, ... }:
{
  name = "bluesky-plc";

  nodes.machine =
    { pkgs, ... }:
    {
      services.bluesky.plc = {
        enable = true;
        adminSecretFile = "/etc/plc-admin-secret";
      };
      environment.etc."plc-admin-secret".text = "test-admin-secret";
      # A PDS as the directory's client, as in profiles/dev.nix.
      services.bluesky.pds = {
        enable = true;
        hostname = "localhost";
        serviceHandleDomains = [ ".test" ];
        didPlcUrl = "http://127.0.0.1:2582";
        crawlers = [ ];
        invites.required = false;
        settings.PDS_DEV_MODE = true;
      };
      systemd.services.pds.after = [ "bluesky-plc.service" ];
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
      ];
    };

  testScript = ''
    import json

    machine.wait_for_unit("postgresql.service")
    machine.wait_for_unit("bluesky-plc.service")
    machine.wait_for_open_port(2582)
    machine.succeed("curl --fail -s http://127.0.0.1:2582/_health | jq -e 'has(\"version\")'")

    # Migrations ran at start, owned by the service's role.
    machine.succeed(
        "sudo -u postgres psql -d bluesky-plc -tAc 'select count(*) from kysely_migration' | grep -qv '^0$'"
    )
    machine.succeed(
        "sudo -u postgres psql -d bluesky-plc -tAc "
        "\"select tableowner from pg_tables where tablename = 'operations'\" | grep -qx bluesky-plc"
    )

    # An unknown DID is not found; a malformed operation is refused.
    machine.succeed(
        "test $(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:2582/did:plc:aaaaaaaaaaaaaaaaaaaaaaaa) = 404"
    )

    machine.wait_for_unit("pds.service")
    machine.wait_for_open_port(2583)
    account = json.loads(machine.succeed(
        "curl --fail -s -X POST -H 'content-type: application/json' "
        "-d '{\"handle\":\"alice.test\",\"email\":\"alice@example.com\",\"password\":\"hunter22\"}' "
        "http://127.0.0.1:2583/xrpc/com.atproto.server.createAccount"
    ))
    did = account["did"]
    assert did.startswith("did:plc:"), did
    machine.succeed(
        f"curl --fail -s http://127.0.0.1:2582/{did} | jq -e '.id == \"{did}\""
        " and (.alsoKnownAs | index(\"at://alice.test\"))"
        " and (.verificationMethod[0].type == \"Multikey\")"
        " and (.service[] | select(.id == \"#atproto_pds\") | .serviceEndpoint == \"http://localhost:2583\")'"
    )
    audit = json.loads(machine.succeed(f"curl --fail -s http://127.0.0.1:2582/{did}/log/audit"))
    assert audit[0]["operation"]["type"] == "plc_operation" and audit[0]["operation"]["sig"], audit
    machine.succeed(f"curl --fail -s http://127.0.0.1:2582/export | grep -q '{did}'")

    # A tombstone without a valid signature is refused; the DID stays.
    forged = json.dumps({"type": "plc_tombstone", "prev": audit[0]["cid"], "sig": "AAAA"})
    machine.succeed(
        "test $(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' "
        f"-d '{forged}' http://127.0.0.1:2582/{did}) = 400"
    )
    machine.succeed(f"curl --fail -s http://127.0.0.1:2582/{did} | jq -e '.id == \"{did}\"'")

    # The admin endpoint wants the configured secret.
    machine.succeed(
        "test $(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' "
        f"-d '{{\"adminSecret\":\"wrong\",\"did\":\"{did}\",\"cid\":\"x\"}}' http://127.0.0.1:2582/admin/removeInvalidOps) = 401"
    )

    # A restart finds its migrations applied and keeps the DID.
    machine.systemctl("restart bluesky-plc.service")
    machine.wait_for_open_port(2582)
    machine.wait_until_succeeds(f"curl --fail -s http://127.0.0.1:2582/{did} | jq -e '.id == \"{did}\"'")

    # Loopback only.
    machine.fail("ss -Htln | awk '{print $4}' | grep -Ev '^(127\\.0\\.0\\.1|\\[::1\\]|\\[::ffff:127\\.0\\.0\\.1\\]):' | grep -q .")
  '';
}
