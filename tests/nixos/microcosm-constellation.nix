# constellation indexes a like from a local jetstream and counts it.
# Run by the flake with every atnix module imported (see ./default.nix).
{ lib, ... }:
{
  name = "microcosm-constellation";

  nodes.machine =
    { config, pkgs, ... }:
    let
      fakes = import ./microcosm-fakes.nix { inherit pkgs; };
    in
    {
      services.microcosm.constellation = {
        enable = true;
        jetstream = fakes.jetstreamUrl;
        metrics.enable = true;
      };
      systemd.services.fake-jetstream = fakes.jetstreamService {
        inherit (config.services.microcosm.constellation.package) src;
        events = fakes.likeEvents;
      };
      systemd.services.microcosm-constellation = {
        after = [ "fake-jetstream.service" ];
        requires = [ "fake-jetstream.service" ];
      };
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
      ];
    };

  testScript = ''
    machine.wait_for_unit("fake-jetstream.service")
    machine.wait_for_open_port(6008)
    machine.wait_for_unit("microcosm-constellation.service")
    machine.wait_for_open_port(6789)

    # The like from the fake jetstream is indexed: one backlink to the post.
    machine.wait_until_succeeds(
        "curl --fail -s -G -H 'Accept: application/json' http://127.0.0.1:6789/links/count"
        " --data-urlencode 'target=at://did:plc:author/app.bsky.feed.post/3lpost'"
        " --data-urlencode 'collection=app.bsky.feed.like'"
        " --data-urlencode 'path=.subject.uri'"
        " | jq -e '.total == 1'",
        timeout=120,
    )
    # An unrelated target has none.
    machine.succeed(
        "curl --fail -s -G -H 'Accept: application/json' http://127.0.0.1:6789/links/count"
        " --data-urlencode 'target=at://did:plc:author/app.bsky.feed.post/other'"
        " --data-urlencode 'collection=app.bsky.feed.like'"
        " --data-urlencode 'path=.subject.uri'"
        " | jq -e '.total == 0'"
    )
    # RocksDB lives in the state directory.
    machine.succeed("test -d /var/lib/microcosm-constellation/db")
    # Prometheus listener (loopback, --bind-metrics).
    machine.wait_for_open_port(8765)
    machine.succeed("curl --fail -s http://127.0.0.1:8765/metrics | grep -q '^# TYPE'")
  '';
}
