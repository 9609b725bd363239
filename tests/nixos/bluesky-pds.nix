# services.bluesky.pds on nixpkgs' bluesky-pds with a PLC stand-in: generated
# secrets (mode 0600, unchanged by a restart), an account and a post that
# survive a restart, and the listener on loopback only.
# Run by the flake with every atnix module imported (see ./default.nix).
{ lib, ... }:
{
  name = "bluesky-pds";

  nodes.machine =
    { pkgs, ... }:
    {
      services.bluesky.pds = {
        enable = true;
        # Handles under `.pds.test`; nothing here needs the public URL
        # (https://pds.test) to answer.
        hostname = "pds.test";
        didPlcUrl = "http://127.0.0.1:2582";
        invites.required = false;
        crawlers = [ ];
      };
      systemd.services.fake-plc = (import ./_pds-fakes.nix { inherit pkgs; }).plcService;
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
      ];
    };

  testScript = ''
    import json

    machine.wait_for_unit("fake-plc.service")
    machine.wait_for_open_port(2582)
    machine.wait_for_unit("pds.service")
    machine.wait_for_open_port(2583)
    machine.succeed("curl --fail -s http://127.0.0.1:2583/xrpc/_health | jq -e '.version'")
    # Loopback only, although @atproto/pds itself listens on every address.
    machine.succeed("ss -Htln 'sport = :2583' | grep -q '127.0.0.1:2583'")
    machine.fail("ss -Htln 'sport = :2583' | grep -v '127.0.0.1:2583' | grep -q .")

    secrets = "/var/lib/private/pds/secrets"
    before = machine.succeed(f"sha256sum {secrets}/*")
    machine.succeed(f"test $(stat -c %a {secrets}/pds-plc-rotation-key-k256-private-key-hex) = 600")
    machine.succeed(f"grep -Eqx '[0-9a-f]{{64}}' {secrets}/pds-plc-rotation-key-k256-private-key-hex")

    account = json.loads(machine.succeed(
        "curl --fail -s -X POST -H 'content-type: application/json' "
        "-d '{\"handle\":\"alice.pds.test\",\"email\":\"alice@example.com\",\"password\":\"hunter22\"}' "
        "http://127.0.0.1:2583/xrpc/com.atproto.server.createAccount"
    ))
    did, jwt = account["did"], account["accessJwt"]
    assert did.startswith("did:plc:"), account
    post = json.loads(machine.succeed(
        f"curl --fail -s -X POST -H 'content-type: application/json' -H 'authorization: Bearer {jwt}' "
        f"-d '{{\"repo\":\"{did}\",\"collection\":\"app.bsky.feed.post\",\"record\":"
        "{\"$type\":\"app.bsky.feed.post\",\"text\":\"hello from nixos\",\"createdAt\":\"2026-01-01T00:00:00Z\"}}' "
        "http://127.0.0.1:2583/xrpc/com.atproto.repo.createRecord"
    ))
    rkey = post["uri"].split("/")[-1]
    get = f"curl --fail -s 'http://127.0.0.1:2583/xrpc/com.atproto.repo.getRecord?repo={did}&collection=app.bsky.feed.post&rkey={rkey}'"

    machine.systemctl("restart pds.service")
    machine.wait_for_open_port(2583)
    machine.succeed(get + " | jq -e '.value.text == \"hello from nixos\"'")
    after = machine.succeed(f"sha256sum {secrets}/*")
    assert before == after, "the generated secrets changed on restart"
  '';
}
