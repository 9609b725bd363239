# rsky-firehose: subscribes to a relay's (or PDS's) firehose and hands the
# records to rsky-feedgen's queue endpoints. Configured by environment only
# (rsky-firehose/src/main.rs at the pin in pkgs/rsky/source.json; fixture:
# tests/fixtures/help/blacksky-firehose.txt). It listens on nothing.
import ../../lib/service-module.nix (
  {
    cfg,
    opt,
    lib,
    config,
    svc,
    ...
  }:
  let
    inherit (lib) mkOption types;
    unit = "blacksky-firehose";
    client = import ./lib/feedgen-client.nix { inherit lib config svc; } {
      program = "rsky-firehose";
      fallbackNote = "Upstream's fallback, https://[::1]:8081, matches no rsky-feedgen setup, so the module asks for it.";
    };
    inherit (client) feedgen;
  in
  {
    path = [
      "blacksky"
      "firehose"
    ];
    name = "rsky-firehose";
    description = "rsky-firehose, the firehose subscriber feeding rsky-feedgen";
    package = "rsky-firehose";
    nginx = false;
    noArguments = true;
    environment = { };

    options = {
      subscriptionPath = mkOption {
        type = types.str;
        default = "wss://bsky.network";
        example = "ws://127.0.0.1:2584";
        description = "Relay or PDS to subscribe to (`FEEDGEN_SUBSCRIPTION_PATH`; upstream's default).";
      };
      subscriptionEndpoint = mkOption {
        type = types.enum [
          "com.atproto.sync.subscribeRepos"
          "com.atproto.label.subscribeLabels"
        ];
        default = "com.atproto.sync.subscribeRepos";
        description = "The stream (`FEEDGEN_SUBSCRIPTION_ENDPOINT`): repo commits (upstream's default) or labels.";
      };
      cursor = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "Sequence number to start from (`FEEDGEN_SUBSCRIPTION_CURSOR`); null: the stream's live tail.";
      };
    }
    // client.options;

    service = {
      inherit unit;
      description = "rsky-firehose, the firehose subscriber feeding rsky-feedgen";
      # The plan asks for static users for Blacksky's services.
      staticUser = true;
    }
    // client.service cfg opt;

    extraConfig = {
      systemd.services.${unit} = {
        environment = {
          FEEDGEN_SUBSCRIPTION_PATH = cfg.subscriptionPath;
          FEEDGEN_SUBSCRIPTION_ENDPOINT = cfg.subscriptionEndpoint;
          FEEDGEN_QUEUE_ENDPOINT = toString cfg.queueEndpoint;
        }
        // lib.optionalAttrs (cfg.cursor != null) { FEEDGEN_SUBSCRIPTION_CURSOR = cfg.cursor; };
        after = lib.optional feedgen.enable "blacksky-feedgen.service";
      };
    };
  }
)
