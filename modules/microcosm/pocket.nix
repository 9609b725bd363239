# pocket: personal-private AT Protocol data service (upstream: "early
# development"). Flags from pocket/src/main.rs at the pin in
# pkgs/microcosm/source.json (fixture: tests/fixtures/help/pocket.txt); no
# environment variables besides RUST_LOG.
#
# pocket's listen address is hard-coded: TcpListener::bind("127.0.0.1:3000")
# in pocket/src/server.rs. So there is no listen or firewall option: reach it
# through the nginx virtual host.
{
  config,
  lib,
  pkgs,
  utils,
  ...
}:
let
  cfg = config.services.microcosm.pocket;
  opt = "services.microcosm.pocket";
  inherit (lib)
    mkIf
    mkOption
    mkEnableOption
    types
    ;
  svc = import ../../lib/service.nix { inherit lib; };
  stateDir = "/var/lib/microcosm-pocket";
in
{
  imports = [ svc.portsModule ];

  options.services.microcosm.pocket = {
    enable = mkEnableOption "pocket, the microcosm personal-private data service";
    package = svc.packageOption pkgs "microcosm-pocket";
    listenAddress = mkOption {
      type = types.str;
      default = "127.0.0.1";
      readOnly = true;
      description = "Address pocket listens on: hard-coded upstream (pocket/src/server.rs).";
    };
    port = mkOption {
      type = types.port;
      default = 3000;
      readOnly = true;
      description = "Port pocket listens on: hard-coded upstream (pocket/src/server.rs).";
    };
    domain = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "pocket.example.com";
      description = ''
        Domain pocket answers for (`--domain`): it serves `did:web:<domain>` at
        /.well-known/did.json. Required; upstream's fallback is the author's
        own domain.
      '';
    };
    dbFile = mkOption {
      type = types.str;
      default = "${stateDir}/prefs.sqlite3";
      readOnly = true;
      description = "SQLite database (`--db`), created with `--init-db` on first start.";
    };
    # pocket logs through tracing-subscriber.
    environment = svc.mkEnvironmentOption {
      name = "pocket";
      defaults.RUST_LOG = "info";
    };
    nginx = svc.mkNginxOption { name = "pocket"; };
    extraArgs = svc.extraArgsOption;
  };

  config = mkIf cfg.enable (
    svc.mkService {
      inherit
        config
        cfg
        opt
        utils
        ;
      unit = "microcosm-pocket";
      description = "pocket, microcosm's personal-private data service";
      stateDirectory = true;
      assertions = [
        {
          assertion = cfg.domain != null;
          message = "${opt}.domain is not set: set it to the domain pocket serves its did:web document for.";
        }
      ];
      # `--init-db` creates the table and fails if it exists: only once.
      preStart = ''
        if [ ! -e ${lib.escapeShellArg cfg.dbFile} ]; then
          ${lib.escapeShellArgs [
            (lib.getExe cfg.package)
            "--init-db"
            "--db"
            cfg.dbFile
          ]}
        fi
      '';
      exec = [
        (lib.getExe cfg.package)
        "--db"
        cfg.dbFile
        "--domain"
        (toString cfg.domain)
      ]
      ++ cfg.extraArgs;
      # `/` is StaticFileEndpoint::new("./static/index.html")
      # (pocket/src/server.rs): run from the package's share/pocket.
      serviceConfig.WorkingDirectory = "${cfg.package}/share/pocket";
    }
  );
}
