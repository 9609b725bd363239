# profiles/dev: an account and a post on the PDS travel through the relay and
# jetstream; a like of the post reaches spacedust as a link; the exporter
# probes the PLC directory, the PDS and the relay, and sees the relay down
# once it is stopped. The account's DID is registered in, and resolved from,
# the profile's own PLC directory (services.bluesky.plc).
# Run by the flake with every atnix module imported (see ./default.nix).
{ lib, ... }:
{
  name = "dev";

  nodes.machine =
    { pkgs, ... }:
    let
      fakes = import ./microcosm-fakes.nix { inherit pkgs; };
    in
    {
      imports = [ ../../profiles/dev.nix ];
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
      ];
      environment.etc."dev-test/ws-client.py".source = fakes.wsClient;
      environment.etc."dev-test/python".source = "${fakes.python}/bin/python3";
    };

  testScript = ''
    import json, urllib.parse

    for unit in ["postgresql", "bluesky-plc", "pds", "bluesky-relay", "bluesky-jetstream", "microcosm-spacedust", "atproto-exporter"]:
        machine.wait_for_unit(f"{unit}.service")
    for port in [2582, 2583, 2470, 6008, 8080, 9197]:
        machine.wait_for_open_port(port)

    # The relay subscribed to the PDS from its host table.
    machine.wait_until_succeeds(
        "curl --fail -s http://127.0.0.1:2470/xrpc/com.atproto.sync.listHosts"
        " | jq -e '.hosts[] | select(.hostname == \"localhost:2583\" and .status == \"active\")'",
        timeout=60,
    )

    pds = "http://127.0.0.1:2583/xrpc"
    account = json.loads(machine.succeed(
        "curl --fail -s -X POST -H 'content-type: application/json' "
        "-d '{\"handle\":\"alice.test\",\"email\":\"alice@example.com\",\"password\":\"hunter22\"}' "
        f"{pds}/com.atproto.server.createAccount"
    ))
    did, jwt = account["did"], account["accessJwt"]
    # The PDS registered the DID with the profile's PLC directory.
    machine.succeed(
        f"curl --fail -s http://127.0.0.1:2582/{did} | jq -e '.id == \"{did}\" and (.alsoKnownAs | index(\"at://alice.test\"))'"
    )

    def create(collection, record):
        body = json.dumps({"repo": did, "collection": collection, "record": record})
        out = machine.succeed(
            f"curl --fail -s -X POST -H 'content-type: application/json' -H 'authorization: Bearer {jwt}' "
            f"-d '{body}' {pds}/com.atproto.repo.createRecord"
        )
        return json.loads(out)

    # The relay knows the account once its first commit came through.
    machine.wait_until_succeeds(
        f"curl --fail -s 'http://127.0.0.1:2470/xrpc/com.atproto.sync.getLatestCommit?did={did}' | jq -e .rev",
        timeout=60,
    )

    py = "/etc/dev-test/python /etc/dev-test/ws-client.py"
    machine.succeed(
        f"systemd-run --unit=js-client {py} "
        "'ws://127.0.0.1:6008/subscribe?wantedCollections=app.bsky.feed.post' 'hello from dev' /tmp/post.json"
    )
    machine.wait_for_file("/tmp/post.json.ready")
    post = create("app.bsky.feed.post", {
        "$type": "app.bsky.feed.post", "text": "hello from dev", "createdAt": "2026-01-01T00:00:00Z",
    })
    machine.wait_for_file("/tmp/post.json", timeout=120)
    machine.succeed(
        f"jq -e '.did == \"{did}\" and .kind == \"commit\" and .commit.operation == \"create\""
        " and .commit.record.text == \"hello from dev\"' /tmp/post.json"
    )

    # spacedust: the like links to the post (instant: skip its delay queue).
    url = "ws://127.0.0.1:8080/subscribe?instant=true&wantedSubjects=" + urllib.parse.quote(post["uri"], safe="")
    machine.succeed(f"systemd-run --unit=sd-client {py} '{url}' app.bsky.feed.like /tmp/link.json")
    machine.wait_for_file("/tmp/link.json.ready")
    like = create("app.bsky.feed.like", {
        "$type": "app.bsky.feed.like", "createdAt": "2026-01-01T00:00:01Z",
        "subject": {"uri": post["uri"], "cid": post["cid"]},
    })
    machine.wait_for_file("/tmp/link.json", timeout=120)
    machine.succeed(
        f"jq -e '.link.subject == \"{post['uri']}\" and .link.source_record == \"{like['uri']}\"' /tmp/link.json"
    )

    probe = "curl --fail -s 'http://127.0.0.1:9197/probe?module={}&target={}'"
    machine.wait_until_succeeds(
        probe.format("plc", "http://127.0.0.1:2582") + " | grep -qx 'probe_success 1'", timeout=60
    )
    machine.wait_until_succeeds(
        probe.format("pds", "http://127.0.0.1:2583") + " | grep -qx 'probe_success 1'", timeout=60
    )
    machine.wait_until_succeeds(
        probe.format("relay_dev", "http://127.0.0.1:2470") + " | grep -qx 'probe_success 1'", timeout=60
    )
    machine.succeed(
        probe.format("relay_dev", "http://127.0.0.1:2470") + " | grep -qx 'atproto_relay_host_known 1'"
    )
    machine.systemctl("stop bluesky-relay.service")
    machine.succeed(
        probe.format("relay_dev", "http://127.0.0.1:2470") + " | grep -qx 'probe_success 0'"
    )

    # Loopback only.
    machine.fail("ss -Htln | awk '{print $4}' | grep -Ev '^(127\\.0\\.0\\.1|\\[::1\\]|\\[::ffff:127\\.0\\.0\\.1\\]):' | grep -q .")
  '';
}
