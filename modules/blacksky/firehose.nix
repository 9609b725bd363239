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
    feedgen = config.services.blacksky.feedgen or { enable = false; };
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
      queueEndpoint = mkOption {
        type = types.nullOr types.str;
        default =
          if feedgen.enable then "http://${svc.connectAddr feedgen.listenAddress feedgen.port}" else null;
        defaultText = lib.literalMD "the local `services.blacksky.feedgen` when it is enabled, else null";
        example = "https://feeds.example.com";
        description = ''
          rsky-feedgen base URL the records are sent to
          (`FEEDGEN_QUEUE_ENDPOINT`). Upstream's fallback, https://[::1]:8081,
          matches no rsky-feedgen setup, so the module asks for it.
        '';
      };
      apiKeyFile = svc.mkSecretOption {
        description = "File holding rsky-feedgen's API key (`RSKY_API_KEY`), sent as `X-RSKY-KEY`. Required.";
      };
    };

    service = {
      inherit unit;
      description = "rsky-firehose, the firehose subscriber feeding rsky-feedgen";
      # The plan asks for static users for Blacksky's services.
      staticUser = true;
      assertions = [
        {
          assertion = cfg.queueEndpoint != null;
          message = "${opt}.queueEndpoint is not set: set it to rsky-feedgen's URL, or enable services.blacksky.feedgen on this host.";
        }
        {
          assertion = cfg.apiKeyFile != null;
          message = "${opt}.apiKeyFile is not set: rsky-firehose sends every record with rsky-feedgen's API key; set it to a file holding that key.";
        }
        {
          assertion = cfg.extraArgs == [ ];
          message = "${opt}.extraArgs is not empty, but rsky-firehose takes no arguments: set variables in ${opt}.environment.";
        }
      ];
      credentials.rsky-api-key = cfg.apiKeyFile;
      script = ''
        RSKY_API_KEY="$(< "$CREDENTIALS_DIRECTORY/rsky-api-key")"
        export RSKY_API_KEY
        exec ${lib.getExe cfg.package}
      '';
    };

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
