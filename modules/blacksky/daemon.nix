# rsky-daemon: the syncer of one atproto permissioned-data space. It asks the
# space host (services.blacksky.space-host) for a space credential, pulls and
# verifies the members' permissioned repos from their repo host, indexes them
# in SQLite, and listens for the host's write notifications. Flags from
# rsky-daemon/src/config.rs at the pin in pkgs/rsky/source.json
# (tests/fixtures/help/blacksky-daemon.txt); tokens go by environment
# (blacksky-daemon-env.txt), so they never appear on a command line.
import ../../lib/service-module.nix (
  {
    cfg,
    opt,
    lib,
    svc,
    config,
    ...
  }:
  let
    inherit (lib) mkOption types;
    unit = "blacksky-daemon";
    stateDir = "/var/lib/${unit}";
    localHost = config.services.blacksky.space-host or { enable = false; };
    argv = [
      (lib.getExe cfg.package)
      "--space-uri"
      (toString cfg.spaceUri)
      "--space-host-url"
      (toString cfg.spaceHostUrl)
      "--service-identity"
      (toString cfg.serviceIdentity)
      "--repo-host-url"
      (toString cfg.repoHostUrl)
      "--pds-url"
      (toString cfg.pdsUrl)
      "--notify-bind"
      (svc.socketAddr cfg.listenAddress cfg.port)
      "--notify-endpoint"
      (toString cfg.notifyEndpoint)
      "--index-db-path"
      "${stateDir}/index.sqlite"
      "--sweep-interval-secs"
      (toString cfg.sweepInterval)
    ]
    ++ cfg.extraArgs;
  in
  {
    path = [
      "blacksky"
      "daemon"
    ];
    name = "rsky-daemon";
    description = "rsky-daemon, the syncer indexing an atproto permissioned-data space";
    package = "rsky-daemon";
    # The notify listener (`--notify-bind`, upstream's default 127.0.0.1:8055).
    port = 8055;
    # Upstream falls back to "info" only when RUST_LOG is unset or invalid.
    environment = {
      RUST_LOG = "info";
    };

    options = {
      spaceUri = mkOption {
        type = types.nullOr (types.strMatching "at://[^/]+/space/[^/]+/[^/]+");
        default = null;
        example = "at://did:plc:ar7c4by46qjdydhdevvrndac/space/community.blacksky.feed/main";
        description = "The space to sync, `at://{authority}/space/{type}/{skey}` (`--space-uri`). Required.";
      };
      spaceHostUrl = mkOption {
        type = types.nullOr types.str;
        default =
          if localHost.enable then "http://${svc.connectAddr localHost.listenAddress localHost.port}" else null;
        defaultText = lib.literalMD "the local `services.blacksky.space-host` when it is enabled, else `null`";
        example = "https://space.example.com";
        description = "Base URL of the space host (authority), for listRepos and credential minting (`--space-host-url`). Required.";
      };
      serviceIdentity = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "did:web:syncer.example.com";
        description = "This syncer's service identity, the `aud` required on inbound notifications (`--service-identity`). Required.";
      };
      repoHostUrl = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "Base URL of the members' repo host (`--repo-host-url`); `null` uses `spaceHostUrl` (upstream's default: one service usually plays both roles).";
      };
      pdsUrl = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "https://pds.example.com";
        description = "The syncer account's PDS, asked for delegation tokens (`--pds-url`). Required unless `staticCredentialFile` is set.";
      };
      pdsAccessTokenFile = svc.mkSecretOption {
        description = "File holding the syncer account's access token on `pdsUrl` (`DAEMON_PDS_ACCESS_TOKEN`). Required unless `staticCredentialFile` is set.";
      };
      staticCredentialFile = svc.mkSecretOption {
        description = ''
          File holding a pre-issued space credential (`DAEMON_STATIC_CREDENTIAL`),
          which bypasses minting entirely. Upstream's development mode.
        '';
      };
      notifyEndpoint = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "https://syncer.example.com";
        description = ''
          Public endpoint registered with the space host for write
          notifications (`--notify-endpoint`); `null` registers
          `http://<listenAddress>:<port>`, which only a space host on the same
          machine can reach.
        '';
      };
      sweepInterval = mkOption {
        type = types.ints.positive;
        default = 300;
        description = "Seconds between writer-set sweeps, which heal missed notifications (`--sweep-interval-secs`; upstream's default).";
      };
    };

    service = {
      inherit unit;
      description = "rsky-daemon, the syncer indexing an atproto permissioned-data space";
      # The plan asks for static users for Blacksky's services.
      staticUser = true;
      stateDirectory = true;
      assertions = [
        {
          assertion = cfg.spaceUri != null;
          message = "${opt}.spaceUri is not set: set it to the space to sync, at://{authority}/space/{type}/{skey}.";
        }
        {
          assertion = cfg.spaceHostUrl != null;
          message = "${opt}.spaceHostUrl is not set: set it to the space host's base URL, or enable services.blacksky.space-host on this machine.";
        }
        {
          assertion = cfg.serviceIdentity != null;
          message = "${opt}.serviceIdentity is not set: set it to this syncer's service DID.";
        }
        {
          assertion = cfg.staticCredentialFile == null -> (cfg.pdsUrl != null && cfg.pdsAccessTokenFile != null);
          message = "${opt}: set pdsUrl and pdsAccessTokenFile (the syncer account that mints space credentials), or staticCredentialFile.";
        }
      ];
      credentials = {
        pds-access-token = cfg.pdsAccessTokenFile;
        static-credential = cfg.staticCredentialFile;
      };
      credentialEnv = {
        DAEMON_PDS_ACCESS_TOKEN = "pds-access-token";
        DAEMON_STATIC_CREDENTIAL = "static-credential";
      };
      script = ''
        exec ${lib.escapeShellArgs argv}
      '';
      serviceConfig = {
        # Upstream shuts down cleanly (index flushed, listener drained) on
        # SIGINT only; SIGTERM would end it mid-write.
        KillSignal = "SIGINT";
      };
    };

    # The local space host first: the daemon asks it for the writer set as
    # soon as it starts.
    extraConfig = lib.mkIf localHost.enable {
      systemd.services.${unit} = {
        wants = [ "blacksky-space-host.service" ];
        after = [ "blacksky-space-host.service" ];
      };
    };
  }
)
