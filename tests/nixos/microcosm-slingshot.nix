# slingshot caches a record seen on a local jetstream and serves it with
# com.atproto.repo.getRecord; `/` checks the static working directory.
# Run by the flake with every atnix module imported (see ./default.nix).
{ lib, ... }:
{
  name = "microcosm-slingshot";

  nodes.machine =
    { config, pkgs, ... }:
    let
      fakes = import ./microcosm-fakes.nix { inherit pkgs; };
    in
    {
      services.microcosm.slingshot = {
        enable = true;
        jetstream = fakes.jetstreamUrl;
        metrics.enable = true;
      };
      systemd.services.fake-jetstream = fakes.jetstreamService {
        inherit (config.services.microcosm.slingshot.package) src;
        events = fakes.likeEvents;
      };
      systemd.services.microcosm-slingshot.after = [ "fake-jetstream.service" ];
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
      ];
    };

  testScript = ''
    machine.wait_for_unit("fake-jetstream.service")
    machine.wait_for_unit("microcosm-slingshot.service")
    machine.wait_for_open_port(8081)

    # ./static/index.html resolves against WorkingDirectory.
    machine.succeed("curl --fail -s http://127.0.0.1:8081/ | grep -q 'Slingshot: atproto edge record cache'")
    machine.succeed(
        "curl --fail -s http://127.0.0.1:8081/openapi"
        " | jq -e '.paths | keys | any(endswith(\"/com.atproto.repo.getRecord\"))'"
    )

    # The like from the jetstream is served from the cache (no PDS reachable).
    machine.wait_until_succeeds(
        "curl --fail -s -G http://127.0.0.1:8081/xrpc/com.atproto.repo.getRecord"
        " --data-urlencode repo=did:plc:liker"
        " --data-urlencode collection=app.bsky.feed.like"
        " --data-urlencode rkey=3lrkey"
        " | jq -e '.uri == \"at://did:plc:liker/app.bsky.feed.like/3lrkey\""
        " and .cid == \"bafyreigkwjseqkf4yhzcayjp3zkzqzg2frn7brxoxxfnxnfezcgj7tzze4\""
        " and .value.subject.uri == \"at://did:plc:author/app.bsky.feed.post/3lpost\"'",
        timeout=120,
    )

    # Caches live in the state directory.
    machine.succeed("test -d /var/lib/microcosm-slingshot/firehose")
    machine.succeed("test -d /var/lib/microcosm-slingshot/identity")

    machine.wait_for_open_port(8767)
    machine.succeed("curl --fail -s http://127.0.0.1:8767/metrics | grep -q '^# TYPE'")
  '';
}
