# The VM test of a PDS profile (not a test itself; the leading `_` keeps it
# out of ./default.nix): the profile with a PLC stand-in, its nginx in front
# of the PDS with the certificate NixOS' ACME module makes before the CA
# answers (self-signed by its minica CA; the VM has no network), an account
# created with pdsadmin, a post through the proxy, and the firehose's
# websocket upgrade through nginx. `extraScript` adds profile checks.
{
  profile,
  extraConfig ? { },
  extraScript ? "",
}:
{ lib, ... }:
{
  name = profile;

  nodes.machine =
    { pkgs, ... }:
    {
      imports = [
        (../../profiles + "/${profile}.nix")
        extraConfig
      ];
      services.bluesky.pds = {
        # `localhost` resolves without /etc/hosts entries; handles under
        # `.test` need no wildcard certificate, so plain ACME is enough.
        hostname = "localhost";
        serviceHandleDomains = [ ".test" ];
        didPlcUrl = "http://127.0.0.1:2582";
        crawlers = [ ];
        # The public URL of `localhost` is http://, which the OAuth provider
        # accepts in dev mode only.
        settings.PDS_DEV_MODE = true;
      };
      security.acme = {
        acceptTerms = true;
        defaults.email = "admin@example.com";
      };
      systemd.services.fake-plc = (import ./_pds-fakes.nix { inherit pkgs; }).plcService;
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
      ];
    };

  testScript = ''
    import json, re

    machine.wait_for_unit("fake-plc.service")
    machine.wait_for_unit("pds.service")
    machine.wait_for_open_port(2583)
    machine.wait_for_unit("nginx.service")
    machine.wait_for_open_port(443)
    ca = "/var/lib/acme/.minica/cert.pem"
    machine.wait_until_succeeds(f"test -s {ca}")
    curl = f"curl --fail -s --cacert {ca}"
    machine.succeed(f"{curl} https://localhost/xrpc/_health | jq -e .version")

    out = machine.succeed(f"CURL_CA_BUNDLE={ca} pdsadmin account create alice@example.com alice.test")
    did = re.search(r"DID\s*:\s*(did:plc:\S+)", out).group(1)
    password = re.search(r"Password\s*:\s*(\S+)", out).group(1)

    session = json.loads(machine.succeed(
        f"{curl} -X POST -H 'content-type: application/json' "
        f"-d '{{\"identifier\":\"alice.test\",\"password\":\"{password}\"}}' "
        "https://localhost/xrpc/com.atproto.server.createSession"
    ))
    assert session["did"] == did, session
    post = json.loads(machine.succeed(
        f"{curl} -X POST -H 'content-type: application/json' -H 'authorization: Bearer {session['accessJwt']}' "
        f"-d '{{\"repo\":\"{did}\",\"collection\":\"app.bsky.feed.post\",\"record\":"
        "{\"$type\":\"app.bsky.feed.post\",\"text\":\"hello from ${profile}\",\"createdAt\":\"2026-01-01T00:00:00Z\"}}' "
        "https://localhost/xrpc/com.atproto.repo.createRecord"
    ))
    rkey = post["uri"].split("/")[-1]
    machine.succeed(
        f"{curl} 'https://localhost/xrpc/com.atproto.repo.getRecord?repo={did}&collection=app.bsky.feed.post&rkey={rkey}'"
        " | jq -e '.value.text == \"hello from ${profile}\"'"
    )

    # subscribeRepos through nginx: the websocket handshake must reach the PDS.
    status, out = machine.execute(
        f"curl -s --cacert {ca} --http1.1 --max-time 3 -o /dev/null -w '%{{http_code}}' "
        "-H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' "
        "-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "
        "https://localhost/xrpc/com.atproto.sync.subscribeRepos"
    )
    assert out.strip() == "101", f"websocket upgrade through nginx answered {out!r}"
    ${extraScript}
  '';
}
