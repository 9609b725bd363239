# pocket: personal-private AT Protocol data service (upstream: "early
# development"). Flags from pocket/src/main.rs at the pin in
# pkgs/microcosm/source.json (fixture: tests/fixtures/help/microcosm-pocket.txt); no
# environment variables besides RUST_LOG.
#
# pocket's listen address is hard-coded: TcpListener::bind("127.0.0.1:3000")
# in pocket/src/server.rs. So there is no listen or firewall option: reach it
# through the nginx virtual host.
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
    stateDir = "/var/lib/microcosm-pocket";
    hardCoded =
      what: default:
      mkOption {
        type = what;
        inherit default;
        readOnly = true;
        description = "Where pocket listens: hard-coded upstream (pocket/src/server.rs).";
      };
  in
  {
    path = [
      "microcosm"
      "pocket"
    ];
    name = "pocket";
    description = "pocket, the microcosm personal-private data service";
    package = "microcosm-pocket";
    # pocket logs through tracing-subscriber.
    environment.RUST_LOG = "info";

    options = {
      listenAddress = hardCoded types.str "127.0.0.1";
      port = hardCoded types.port 3000;
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
    };

    service = {
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
    };
  }
)
