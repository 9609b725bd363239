# The indigo commands atnix packages: what differs between them, read from
# bluesky-social/indigo at the pin in ./source.json (`cmd/<name>/main.go`,
# `cmd/<name>/README.md`). Each becomes the package `indigo-<name>`
# (./default.nix). The repository is MIT OR Apache-2.0 (LICENSE-DUAL).
{
  relay = {
    description = "AT Protocol relay: crawls PDS hosts and serves the combined firehose";
  };
  rainbow = {
    description = "AT Protocol firehose fan-out (splitter): one upstream relay, many subscribers";
  };
  hepa = {
    description = "AT Protocol auto-moderation daemon (automod rules against the firehose)";
  };
}
