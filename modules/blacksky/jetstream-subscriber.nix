# rsky-jetstream-subscriber: subscribes to a jetstream server and hands the
# posts, reposts, likes and follows to rsky-feedgen's queue endpoints.
# Configured by environment only (rsky-jetstream-subscriber/src/main.rs at the
# pin in pkgs/rsky/source.json; fixture:
# tests/fixtures/help/blacksky-jetstream-subscriber.txt). It listens on nothing.
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
    unit = "blacksky-jetstream-subscriber";
    client = import ./lib/feedgen-client.nix { inherit lib config svc; } {
      program = "rsky-jetstream-subscriber";
      fallbackNote = "Upstream's fallback, http://127.0.0.1:8000, is not where services.blacksky.feedgen listens, so the module asks for it.";
    };
    inherit (client) feedgen;
    jetstream = config.services.bluesky.jetstream or { enable = false; };
  in
  {
    path = [
      "blacksky"
      "jetstream-subscriber"
    ];
    name = "rsky-jetstream-subscriber";
    description = "rsky-jetstream-subscriber, the jetstream subscriber feeding rsky-feedgen";
    package = "rsky-jetstream-subscriber";
    nginx = false;
    noArguments = true;
    environment = { };

    options = {
      serverEndpoint = mkOption {
        type = types.str;
        default =
          if jetstream.enable then
            "ws://${svc.connectAddr jetstream.listenAddress jetstream.port}"
          else
            "wss://jetstream1.us-west.bsky.network";
        defaultText = lib.literalMD "the local `services.bluesky.jetstream` when it is enabled, else upstream's `wss://jetstream1.us-west.bsky.network`";
        example = "wss://jetstream2.us-east.bsky.network";
        description = ''
          Jetstream server to subscribe to, without `/subscribe`
          (`JETSTREAM_SERVER_ENDPOINT`). The module passes the same value as
          `JETSTREAM_SUBSCRIPTION_ENDPOINT`, the service name rsky-feedgen
          stores the cursor under, so the two never disagree.
        '';
      };
      wantedCollections = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [
          "app.bsky.feed.post"
          "app.bsky.feed.like"
        ];
        description = ''
          Collections to ask jetstream for (`wantedCollections` query
          parameters, passed as `FILTER_PARAM`); empty: every collection.
          rsky-jetstream-subscriber queues only posts, reposts, likes and
          follows whatever it receives.
        '';
      };
    }
    // client.options;

    service = {
      inherit unit;
      description = "rsky-jetstream-subscriber, the jetstream subscriber feeding rsky-feedgen";
      # The plan asks for static users for Blacksky's services.
      staticUser = true;
    }
    // client.service cfg opt;

    extraConfig = {
      systemd.services.${unit} = {
        environment = {
          JETSTREAM_SERVER_ENDPOINT = cfg.serverEndpoint;
          JETSTREAM_SUBSCRIPTION_ENDPOINT = cfg.serverEndpoint;
          FEEDGEN_QUEUE_ENDPOINT = toString cfg.queueEndpoint;
        }
        // lib.optionalAttrs (cfg.wantedCollections != [ ]) {
          FILTER_PARAM = lib.concatMapStringsSep "&" (
            c: "wantedCollections=${lib.escapeURL c}"
          ) cfg.wantedCollections;
        };
        after =
          lib.optional feedgen.enable "blacksky-feedgen.service"
          ++ lib.optional jetstream.enable "bluesky-jetstream.service";
      };
    };
  }
)
