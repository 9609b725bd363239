# drainpipe: frontpage's jetstream consumer. It subscribes to a jetstream for
# frontpage's collections (fyi.frontpage.*, fyi.unravel.frontpage.*) and POSTs
# every create and delete to the frontpage app's receive hook, with the shared
# consumer secret as a bearer token. Configured by environment only
# (packages-rs/drainpipe/src/{main,config}.rs at the pin in
# pkgs/frontpage/source.json; fixture: tests/fixtures/help/frontpage-drainpipe.txt).
#
# State: a sled database under the state directory holding the jetstream
# cursor (it resumes 10 s before it) and a dead-letter tree of commits the
# hook refused.
#
# `frontpage` is a family (services.frontpage.<app>, modules/frontpage/)
# because the repository holds more than drainpipe: the Next.js app would be
# services.frontpage.web beside it (docs/apps.md says why it is not packaged).
import ../../lib/service-module.nix (
  {
    cfg,
    opt,
    lib,
    svc,
    ...
  }:
  let
    inherit (lib) mkOption types;
    unit = "frontpage-drainpipe";
  in
  {
    path = [
      "frontpage"
      "drainpipe"
    ];
    name = "drainpipe";
    description = "drainpipe, the jetstream consumer feeding frontpage";
    package = "frontpage-drainpipe";
    port = null;
    # Upstream's fixed port; pkgs/frontpage makes the address configurable.
    metricsPort = 9898;
    nginx = false;
    noArguments = true;
    # Upstream's .env and fly.toml; env_logger alone would log errors only.
    environment.RUST_LOG = "info";

    options = {
      consumerUrl = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "https://frontpage.example.com/api/receive_hook";
        description = "The frontpage app's receive hook, where records are POSTed (`FRONTPAGE_CONSUMER_URL`). Required.";
      };
      consumerSecretFile = svc.mkSecretOption {
        description = "File holding the secret the receive hook expects as a bearer token (`FRONTPAGE_CONSUMER_SECRET`; the app's `DRAINPIPE_CONSUMER_SECRET`). Required.";
      };
      jetstreamUrl = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "wss://jetstream2.us-west.bsky.network/subscribe";
        description = ''
          Jetstream subscribe endpoint (`JETSTREAM_URL`), a `ws://` or
          `wss://` URL ending in `/subscribe`. Null: upstream's default,
          wss://jetstream2.us-east.bsky.network/subscribe.
        '';
      };
    };

    service = {
      inherit unit;
      description = "drainpipe, the jetstream consumer feeding frontpage";
      stateDirectory = true;
      assertions = [
        {
          assertion = cfg.consumerUrl != null;
          message = "${opt}.consumerUrl is not set: set it to the frontpage app's receive hook, e.g. https://frontpage.example.com/api/receive_hook.";
        }
        {
          assertion = cfg.consumerSecretFile != null;
          message = "${opt}.consumerSecretFile is not set: drainpipe sends every record with the receive hook's secret; set it to a file holding that secret.";
        }
      ];
      credentials.consumer-secret = cfg.consumerSecretFile;
      credentialEnv = {
        FRONTPAGE_CONSUMER_SECRET = "consumer-secret";
      };
      script = ''
        exec ${lib.getExe cfg.package}
      '';
    };

    extraConfig = {
      systemd.services.${unit}.environment = {
        STORE_LOCATION = "/var/lib/${unit}/sled";
        FRONTPAGE_CONSUMER_URL = toString cfg.consumerUrl;
        # Read by pkgs/frontpage's patch; with metrics off, a random loopback
        # port, since drainpipe always serves metrics.
        DRAINPIPE_METRICS_LISTEN = svc.alwaysOnMetricsAddr cfg;
      }
      // lib.optionalAttrs (cfg.jetstreamUrl != null) { JETSTREAM_URL = cfg.jetstreamUrl; };
    };
  }
)
