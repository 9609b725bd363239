# spacedust turns a like from a local jetstream into a link event on its
# /subscribe websocket. Run by the flake with every atnix module imported
# (see ./default.nix).
{ lib, ... }:
{
  name = "microcosm-spacedust";

  nodes.machine =
    { config, pkgs, ... }:
    let
      fakes = import ./microcosm-fakes.nix { inherit pkgs; };
    in
    {
      services.microcosm.spacedust = {
        enable = true;
        jetstream = fakes.jetstreamUrl;
        metrics.enable = true;
      };
      systemd.services.fake-jetstream = fakes.jetstreamService {
        inherit (config.services.microcosm.spacedust.package) src;
        events = fakes.likeEvents;
        # Hold the like back until the test's subscriber is connected.
        waitFor = "/tmp/jetstream-go";
      };
      systemd.services.microcosm-spacedust.after = [ "fake-jetstream.service" ];
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
      ];
      environment.etc."spacedust-test/ws-client.py".source = fakes.wsClient;
      environment.etc."spacedust-test/python".source = "${fakes.python}/bin/python3";
    };

  testScript = ''
    import urllib.parse

    machine.wait_for_unit("fake-jetstream.service")
    machine.wait_for_unit("microcosm-spacedust.service")
    machine.wait_for_open_port(8080)

    # Static index and the OpenAPI document describing /subscribe.
    machine.succeed("curl --fail -s http://127.0.0.1:8080/ | grep -q 'Spacedust documentation'")
    machine.succeed("curl --fail -s http://127.0.0.1:8080/openapi | jq -e '.paths | has(\"/subscribe\")'")

    # Subscribe to links to the post (instant: skip the 21 s delay buffer),
    # then let the jetstream send the like.
    post = "at://did:plc:author/app.bsky.feed.post/3lpost"
    url = "ws://127.0.0.1:8080/subscribe?instant=true&wantedSubjects=" + urllib.parse.quote(post, safe="")
    machine.succeed(
        f"systemd-run --unit=ws-client /etc/spacedust-test/python /etc/spacedust-test/ws-client.py '{url}' 3lpost /tmp/link.json"
    )
    machine.wait_for_file("/tmp/link.json.ready")
    machine.succeed("touch /tmp/jetstream-go")
    machine.wait_for_file("/tmp/link.json", timeout=120)
    machine.succeed(
        "jq -e '.kind == \"link\" and .link.operation == \"create\""
        f" and .link.subject == \"{post}\""
        " and .link.source == \"app.bsky.feed.like:subject.uri\""
        " and .link.source_record == \"at://did:plc:liker/app.bsky.feed.like/3lrkey\"' /tmp/link.json"
    )

    machine.wait_for_open_port(8766)
    machine.succeed("curl --fail -s http://127.0.0.1:8766/metrics | grep -q '^# TYPE'")
  '';
}
