# The service helper every atnix NixOS module builds on. Needs only nixpkgs'
# lib. A module normally goes through ./service-module.nix (the module
# builder below); the other builders also work alone:
#
#   svc = import ../lib/service.nix { inherit lib; };
#
# and then the module adds `imports = [ svc.portsModule ];` so the port
# registry exists.
#
# Option builders (each returns options to merge into `options.services.<x>`):
#   packageOption pkgs attr            `package`, from this repository's set
#   mkListenOptions { name, port }     listenAddress (loopback), port,
#                                      openFirewall (asserted non-loopback)
#   mkMetricsOptions { name, port }    `metrics.{enable,listenAddress,port}`
#   mkEnvironmentOption { name, defaults }
#                                      `environment`; each default is an option
#                                      of its own, so a user adding a variable
#                                      keeps RUST_LOG and friends
#   mkEnvironmentFilesOption { name }  `environmentFiles`, KEY=value files
#                                      outside the store (secrets)
#   mkSecretOption { description, example }
#                                      a path outside the Nix store, or null;
#                                      pass it with `credentials` below
#   mkSettingsOption { format, description, options ? {} }
#                                      RFC 42 `settings`; write it with
#                                      `settingsFile`, which drops nulls
#   mkNginxOption { name }             `nginx`: a reverse-proxy virtual host,
#                                      TLS from exactly one of enableACME
#                                      (default), useACMEHost or
#                                      sslCertificate + sslCertificateKey
#   mkJetstreamOption { name }         `jetstream` URL or region shorthand
#   extraArgsOption                    `extraArgs`
#   mkUpgradeSnapshotsOption { name }  `upgradeSnapshots`: snapshot the state
#                                      directory before a new package starts,
#                                      with an optional health gate that
#                                      restores it (docs/upgrades.md); the
#                                      module builder declares it for every
#                                      service with `stateDirectory = true`
#
# Config pieces:
#   localPostgres unit                 a local PostgreSQL database and role
#                                      named `unit`, peer authentication
#   localPostgresUrl unit              its URL over /run/postgresql
#   mkCreateLocallyOption { unit, vars ? [ "DATABASE_URL" ], note ? "" }
#                                      `database.createLocally` (default
#                                      true: localPostgres); false takes
#                                      `vars` from environmentFiles
#   createLocallyAssertion { cfg, opt, vars ? [ "DATABASE_URL" ] }
#                                      false without environmentFiles fails
#                                      and names `vars`
#
# Module builder, the usual way to write a service module (through
# ./service-module.nix, which supplies the arguments):
#   import ../lib/service-module.nix (
#     { cfg, lib, svc, ... }:        # also: opt, pkgs, config
#     {
#       path = [ "<app>" ];          # services.<app> (or [ "<family>" "<app>" ])
#       name = "<app>";              # for descriptions
#       description = "...";         # mkEnableOption text
#       package = "<attr>";          # in this repository's package set
#       port = 1234;                 # mkListenOptions default; null: declare your own
#       metricsPort = null;          # mkMetricsOptions default, if the program has one
#       environment = null;          # mkEnvironmentOption defaults, e.g. { RUST_LOG = "info"; }
#       environmentFiles = false;    # mkEnvironmentFilesOption
#       nginx = true;                # mkNginxOption
#       noArguments = false;         # true: the program reads no command line
#                                    # (configured by environment only), so a
#                                    # non-empty extraArgs fails evaluation
#       options = { };               # the program's own options
#       service = { unit = ...; exec = [ ... ]; };   # mkService arguments
#       extraConfig = { };           # more config, merged under `enable`
#     }
#   )
# It declares enable, package, the options above and extraArgs, imports the
# port registry, and sets `config = mkIf cfg.enable (mkService ...)`.
#
# Config builder, used as `config = mkIf cfg.enable (svc.mkService { ... })`:
#   mkService {
#     cfg, opt, utils,           # opt: the option path as a string
#     unit,                      # systemd unit name (also the state dir and
#                                # static user name)
#     description,
#     exec ? null,               # argv list -> ExecStart (escaped)
#     script ? null,             # or a shell script (for secrets read from
#                                # $CREDENTIALS_DIRECTORY)
#     preStart ? "",
#     stateDirectory ? false,    # true: StateDirectory=<unit>, mode 0700
#     staticUser ? false,        # the user rule, below
#     hardening ? { },           # mkHardening knobs
#     credentials ? { },         # name -> path or null: LoadCredential=, read
#                                # as %d/<name> or $CREDENTIALS_DIRECTORY/<name>
#     credentialEnv ? { },       # VAR -> credential name: `script` starts by
#                                # exporting VAR from that credential, when
#                                # it is set (for programs that read secrets
#                                # from the environment only)
#     websockets ? false,        # nginx proxies the Upgrade handshake
#     serviceConfig ? { },       # merged last (WorkingDirectory, Restart, ...)
#     assertions ? [ ],
#     ports ? { },               # extra port claims: option path -> [ port ]
#   }
# It claims `cfg.port` and (when enabled) `cfg.metrics.port` in the registry
# (`atnix.ports`, ./ports.nix), which asserts that no two enabled services,
# ours or NixOS' nginx/prometheus/postgresql/grafana, share a port.
#
# The user rule: every service runs as a DynamicUser, unless another
# component must name its user (Postgres peer authentication, files shared
# with nginx through a group). Then, and only then, `staticUser = true`
# creates a system user and a group both named after the unit.
{ lib }:
let
  inherit (lib) mkOption types;
  mkHardening = import ./hardening.nix { inherit lib; };

  isLoopback = a: a == "localhost" || a == "::1" || lib.hasPrefix "127." a;

  # A path outside the Nix store given as a string: a path literal such as
  # ./secret would be copied into the world-readable store, so the type
  # rejects it (types.pathWith with inStore = false accepts strings only).
  externalPath = types.pathWith {
    inStore = false;
    absolute = true;
  };
in
rec {
  inherit isLoopback externalPath;
  portsModule = ./ports.nix;

  # `SocketAddr` parsing needs brackets around IPv6 literals.
  socketAddr =
    address: port:
    if lib.hasInfix ":" address then "[${address}]:${toString port}" else "${address}:${toString port}";

  # The metrics listener of a program that always serves metrics (no switch
  # upstream): with `metrics.enable` off it binds a random loopback port, so
  # it can clash with nothing.
  alwaysOnMetricsAddr =
    cfg:
    if cfg.metrics.enable then socketAddr cfg.metrics.listenAddress cfg.metrics.port else "127.0.0.1:0";

  # Where a local client (nginx, Prometheus) reaches a listener: a wildcard
  # listen address is still reachable on loopback.
  connectAddr =
    address: port:
    if address == "0.0.0.0" then
      "127.0.0.1:${toString port}"
    else if address == "::" then
      "[::1]:${toString port}"
    else
      socketAddr address port;

  # A database in the local services.postgresql owned by the role `unit`,
  # which is the unit's static user (staticUser = true): the service connects
  # over the socket with peer authentication, so no password exists. Use as
  # `lib.mkIf cfg.database.createLocally (svc.localPostgres unit)`; the URL is
  # `localPostgresUrl unit` (libpq and tokio-postgres both read `host=` as
  # the socket directory and default the role to the OS user).
  localPostgresUrl = unit: "postgres:///${unit}?host=/run/postgresql";

  # "A, B and C"
  joinAnd =
    xs:
    if lib.length xs < 2 then
      lib.concatStrings xs
    else
      "${lib.concatStringsSep ", " (lib.init xs)} and ${lib.last xs}";
  mkCreateLocallyOption =
    {
      unit,
      vars ? [ "DATABASE_URL" ],
      note ? "",
    }:
    mkOption {
      type = types.bool;
      default = true;
      description = ''
        Create the database `${unit}` and its owner role in the local
        `services.postgresql` and connect as the unit's user over the
        socket (peer authentication, no password). False: put
        ${joinAnd (map (v: "`${v}`") vars)} in one of `environmentFiles`.${note}
      '';
    };
  createLocallyAssertion =
    {
      cfg,
      opt,
      vars ? [ "DATABASE_URL" ],
    }:
    {
      assertion = cfg.database.createLocally || cfg.environmentFiles != [ ];
      message = "${opt}.database.createLocally is false: put ${joinAnd vars} in a file listed in ${opt}.environmentFiles.";
    };
  localPostgres = unit: {
    services.postgresql = {
      enable = true;
      ensureDatabases = [ unit ];
      ensureUsers = [
        {
          name = unit;
          ensureDBOwnership = true;
        }
      ];
    };
    systemd.services.${unit} = {
      requires = [ "postgresql.service" ];
      after = [ "postgresql.service" ];
    };
  };

  # formats.* have no null: a null setting means "leave it out".
  filterNulls =
    v:
    if lib.isDerivation v then
      v
    else if lib.isAttrs v then
      lib.mapAttrs (_: filterNulls) (lib.filterAttrs (_: x: x != null) v)
    else if lib.isList v then
      map filterNulls (lib.filter (x: x != null) v)
    else
      v;

  settingsFile =
    format: name: settings:
    format.generate name (filterNulls settings);

  packageOption =
    pkgs: attr:
    lib.mkPackageOption (import ../pkgs { inherit pkgs; }) attr {
      pkgsText = "atnix.packages.\${system}";
    };

  mkListenOptions =
    { name, port }:
    {
      listenAddress = mkOption {
        type = types.str;
        default = "127.0.0.1";
        example = "::";
        description = ''
          Address ${name} listens on. Loopback by default: put it behind a
          reverse proxy (the `nginx` options, where the module has them) or
          set a public address and `openFirewall`.
        '';
      };
      port = mkOption {
        type = types.port;
        default = port;
        description = "TCP port ${name} listens on. Every atnix service has its own default; two enabled services on one port fail evaluation.";
      };
      openFirewall = mkOption {
        type = types.bool;
        default = false;
        description = "Open `port` in the firewall. Needs a non-loopback `listenAddress`.";
      };
    };

  mkMetricsOptions =
    { name, port }:
    {
      enable = lib.mkEnableOption "the Prometheus listener of ${name}";
      listenAddress = mkOption {
        type = types.str;
        default = "127.0.0.1";
        description = "Address of the Prometheus listener.";
      };
      port = mkOption {
        type = types.port;
        default = port;
        description = "Port of the Prometheus listener (distinct per atnix service, so several run on one host).";
      };
    };

  mkEnvironmentOption =
    { name, defaults }:
    mkOption {
      default = { };
      example = {
        RUST_LOG = "debug";
        TZ = "UTC";
      };
      description = ''
        Environment of the ${name} unit. The defaults are options of their
        own, so adding a variable keeps them; set one to override it, or to
        null to remove it. Never put secrets here (they would land in the
        Nix store): use `environmentFiles`.
      '';
      type = types.submodule {
        freeformType = types.attrsOf (types.nullOr types.str);
        options = lib.mapAttrs (
          var: value:
          mkOption {
            type = types.nullOr types.str;
            default = value;
            description = "`${var}` for ${name}.";
          }
        ) defaults;
      };
    };

  mkEnvironmentFilesOption =
    { name }:
    mkOption {
      type = types.listOf externalPath;
      default = [ ];
      example = [ "/run/secrets/${name}.env" ];
      description = ''
        Files of `KEY=value` lines added to the environment of ${name}
        (systemd `EnvironmentFile=`, read by systemd before the service
        starts). For secrets: the paths must be outside the Nix store.
      '';
    };

  mkSecretOption =
    {
      description,
      example ? "/run/secrets/example",
    }:
    mkOption {
      type = types.nullOr externalPath;
      default = null;
      inherit example;
      description = description + ''


        A path outside the Nix store, as a string (a path literal would be
        copied into the store); the unit reads it as a systemd credential.
      '';
    };

  mkSettingsOption =
    {
      format,
      description,
      options ? { },
      example ? null,
    }:
    mkOption {
      default = { };
      inherit description;
      type = types.submodule {
        freeformType = format.type;
        inherit options;
      };
    }
    // lib.optionalAttrs (example != null) { inherit example; };

  mkJetstreamOption =
    { name }:
    mkOption {
      type = types.str;
      default = "us-east-1";
      example = "wss://jetstream2.us-west.bsky.network/subscribe";
      description = ''
        Jetstream ${name} consumes (`--jetstream`): a `wss://` URL or one of
        the shorthands `us-east-1`, `us-east-2`, `us-west-1`, `us-west-2`
        (jetstream crate, `DefaultJetstreamEndpoints`). Upstream requires the
        flag; `us-east-1` is the jetstream crate's own default endpoint.
      '';
    };

  extraArgsOption = mkOption {
    type = types.listOf types.str;
    default = [ ];
    example = [ "--help" ];
    description = "Extra command-line arguments, appended after the ones the module sets.";
  };

  mkNginxOption =
    { name }:
    mkOption {
      default = { };
      description = "A reverse-proxy nginx virtual host in front of ${name}.";
      type = types.submodule (
        { config, ... }:
        {
          options = {
            enable = lib.mkEnableOption "an nginx virtual host proxying to ${name}";
            hostName = mkOption {
              type = types.nullOr types.str;
              default = null;
              example = "${name}.example.com";
              description = "Domain name of the virtual host. Required with `nginx.enable`.";
            };
            enableACME = mkOption {
              type = types.bool;
              default = config.useACMEHost == null && config.sslCertificate == null;
              defaultText = lib.literalMD "`true` unless `useACMEHost` or `sslCertificate` is set";
              description = "Get a certificate for `hostName` from ACME (security.acme, HTTP-01 on port 80).";
            };
            useACMEHost = mkOption {
              type = types.nullOr types.str;
              default = null;
              example = "example.com";
              description = ''
                Use the certificate of this existing `security.acme.certs` entry
                (e.g. a wildcard from DNS-01); it must be defined. nginx must be
                able to read it: set that entry's `group` to
                `config.services.nginx.group`.
              '';
            };
            sslCertificate = mkOption {
              type = types.nullOr externalPath;
              default = null;
              example = "/var/lib/certs/${name}.pem";
              description = "Certificate chain you provide, outside the Nix store (with `sslCertificateKey`).";
            };
            sslCertificateKey = mkOption {
              type = types.nullOr externalPath;
              default = null;
              example = "/var/lib/certs/${name}.key";
              description = "Private key of `sslCertificate`, outside the Nix store; nginx reads it at start.";
            };
            forceSSL = mkOption {
              type = types.bool;
              default = true;
              description = "Redirect plain HTTP to HTTPS. False serves both (or only HTTP without a certificate).";
            };
            openFirewall = mkOption {
              type = types.bool;
              default = true;
              description = "Open ports 80 and (with a certificate) 443: the virtual host is public. Set false for a host reached only inside a firewall zone; ACME's HTTP-01 then needs port 80 opened elsewhere.";
            };
          };
        }
      );
    };

  nginxAssertions =
    opt: n:
    let
      sources = lib.count lib.id [
        n.enableACME
        (n.useACMEHost != null)
        (n.sslCertificate != null)
      ];
    in
    lib.optionals n.enable [
      {
        assertion = n.hostName != null;
        message = "${opt}.nginx.enable is set: also set ${opt}.nginx.hostName to the domain of the virtual host.";
      }
      {
        assertion = sources <= 1;
        message = "${opt}.nginx: choose one certificate source: enableACME, useACMEHost, or sslCertificate with sslCertificateKey (set enableACME = false when using another).";
      }
      {
        assertion = (n.sslCertificate == null) == (n.sslCertificateKey == null);
        message = "${opt}.nginx.sslCertificate and ${opt}.nginx.sslCertificateKey go together: set both or neither.";
      }
      {
        assertion = n.forceSSL -> sources >= 1;
        message = "${opt}.nginx.forceSSL needs a certificate: set ${opt}.nginx.enableACME = true, ${opt}.nginx.useACMEHost, or ${opt}.nginx.sslCertificate and sslCertificateKey; or set ${opt}.nginx.forceSSL = false to serve plain HTTP.";
      }
    ];

  nginxConfig =
    {
      cfg,
      websockets,
    }:
    let
      n = cfg.nginx;
      # One certificate source, in this order: a wrong combination still
      # yields a vhost nginx accepts, and the assertions above say what to
      # fix. (Whether a useACMEHost entry exists cannot be asked here:
      # nginx derives security.acme.certs from the vhosts, so that would be a
      # cycle. A missing entry fails in nginx's module.)
      acmeHost = if n.enableACME then null else n.useACMEHost;
      ownCert = !n.enableACME && acmeHost == null && n.sslCertificate != null && n.sslCertificateKey != null;
      tls = n.enableACME || acmeHost != null || ownCert;
    in
    lib.mkIf n.enable {
      services.nginx.enable = true;
      services.nginx.virtualHosts.${n.hostName} = {
        inherit (n) enableACME;
        useACMEHost = acmeHost;
        forceSSL = tls && n.forceSSL;
        addSSL = tls && !n.forceSSL;
        locations."/" = {
          proxyPass = "http://${connectAddr cfg.listenAddress cfg.port}";
          proxyWebsockets = websockets;
          recommendedProxySettings = true;
        };
      }
      # Real nginx declares these without a default: set them only when given.
      // lib.optionalAttrs ownCert {
        inherit (n) sslCertificate sslCertificateKey;
      };
      networking.firewall.allowedTCPPorts = lib.optionals n.openFirewall (
        [ 80 ] ++ lib.optional tls 443
      );
    };

  mkUpgradeSnapshotsOption =
    { name }:
    {
      enable = lib.mkEnableOption ''
        a snapshot of ${name}'s state directory (under /var/lib/atnix-snapshots)
        each time the unit starts a package other than the one that last ran on
        that state. `atnix rollback <unit>` restores one'';
      keep = mkOption {
        type = types.ints.positive;
        default = 3;
        description = "How many snapshots of ${name}'s state to keep; older ones are deleted.";
      };
      healthCheck = {
        url = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "http://127.0.0.1:8080/";
          description = ''
            A URL that must answer 2xx within `timeout` seconds after an upgrade,
            or the unit is stopped, the state restored from the snapshot, the new
            package refused at later starts, and the metric
            `atnix_upgrade_rolled_back` written to
            /var/lib/atnix-snapshots/<unit>/upgrade.prom. null: no gate.
          '';
        };
        timeout = mkOption {
          type = types.ints.positive;
          default = 60;
          description = "Seconds ${name} has after an upgrade to pass its health check.";
        };
      };
    };

  # The guard's three steps, run as root (`+`): a DynamicUser's state is
  # /var/lib/private/<unit>, which the service's own user cannot snapshot.
  upgradeSnapshotsConfig =
    {
      cfg,
      pkgs,
      unit,
      staticUser,
    }:
    let
      s = cfg.upgradeSnapshots;
      guard = lib.getExe' (import ../pkgs { inherit pkgs; }).atnix.guard "atnix-upgrade-guard";
      state = if staticUser then "/var/lib/${unit}" else "/var/lib/private/${unit}";
      run = step: "+${guard} --unit ${unit} --state ${state} ${step}";
      gated = s.healthCheck.url != null;
    in
    lib.mkIf s.enable {
      systemd.services.${unit}.serviceConfig = {
        ExecStartPre = lib.mkBefore [
          (run "pre --package ${cfg.package} --keep ${toString s.keep}${lib.optionalString gated " --gated"}")
        ];
        ExecStartPost = lib.optional gated (
          run "health --url ${lib.escapeShellArg s.healthCheck.url} --timeout ${toString s.healthCheck.timeout}"
        );
        ExecStopPost = [ (run "stop-post") ];
      };
    };

  mkServiceModule =
    {
      config,
      pkgs,
      utils,
      ...
    }:
    {
      path,
      name,
      description,
      package,
      port ? null,
      metricsPort ? null,
      environment ? null,
      environmentFiles ? false,
      nginx ? true,
      noArguments ? false,
      options ? { },
      service,
      extraConfig ? { },
    }:
    let
      fullPath = [ "services" ] ++ path;
      opt = lib.concatStringsSep "." fullPath;
      cfg = lib.getAttrFromPath fullPath config;
    in
    {
      imports = [ ./ports.nix ];

      options = lib.setAttrByPath fullPath (
        {
          enable = lib.mkEnableOption description;
          package = packageOption pkgs package;
        }
        // lib.optionalAttrs (port != null) (mkListenOptions { inherit name port; })
        // lib.optionalAttrs (metricsPort != null) {
          metrics = mkMetricsOptions {
            inherit name;
            port = metricsPort;
          };
        }
        // lib.optionalAttrs (environment != null) {
          environment = mkEnvironmentOption {
            inherit name;
            defaults = environment;
          };
        }
        // lib.optionalAttrs environmentFiles {
          environmentFiles = mkEnvironmentFilesOption { inherit name; };
        }
        // lib.optionalAttrs nginx { nginx = mkNginxOption { inherit name; }; }
        // lib.optionalAttrs (service.stateDirectory or false) {
          upgradeSnapshots = mkUpgradeSnapshotsOption { inherit name; };
        }
        // {
          extraArgs = extraArgsOption;
        }
        // options
      );

      config = lib.mkIf cfg.enable (
        lib.mkMerge [
          (mkService (
            {
              inherit cfg opt utils;
            }
            // service
          ))
          (lib.mkIf noArguments {
            assertions = [
              {
                assertion = cfg.extraArgs == [ ];
                message =
                  "${opt}.extraArgs is not empty, but ${name} takes no arguments"
                  + lib.optionalString (environment != null) ": set variables in ${opt}.environment"
                  + ".";
              }
            ];
          })
          (lib.mkIf (service.stateDirectory or false) (upgradeSnapshotsConfig {
            inherit cfg pkgs;
            inherit (service) unit;
            staticUser = service.staticUser or false;
          }))
          extraConfig
        ]
      );
    };

  mkService =
    {
      cfg,
      opt,
      utils,
      unit,
      description,
      exec ? null,
      script ? null,
      preStart ? "",
      stateDirectory ? false,
      staticUser ? false,
      hardening ? { },
      credentials ? { },
      credentialEnv ? { },
      websockets ? false,
      serviceConfig ? { },
      assertions ? [ ],
      ports ? { },
    }:
    let
      creds = lib.filterAttrs (_: p: p != null) credentials;
      # Read at start, so the secrets never appear in the unit file or argv.
      credentialExports = lib.concatStrings (
        lib.mapAttrsToList (
          var: name:
          lib.optionalString (creds ? ${name}) ''
            ${var}="$(< "$CREDENTIALS_DIRECTORY/${name}")"
            export ${var}
          ''
        ) credentialEnv
      );
      hasListen = cfg ? port && cfg ? listenAddress;
      metricsOn = cfg ? metrics && cfg.metrics.enable;
    in
    lib.mkMerge [
      {
        assertions =
          lib.optional (cfg ? openFirewall) {
            assertion = cfg.openFirewall -> !isLoopback cfg.listenAddress;
            message = "${opt}.openFirewall opens port ${toString cfg.port}, but ${opt}.listenAddress = \"${cfg.listenAddress}\" is loopback: set ${opt}.listenAddress to \"::\" or a public address, or openFirewall = false.";
          }
          ++ lib.optionals (cfg ? nginx) (nginxAssertions opt cfg.nginx)
          ++ lib.optional (credentialEnv != { }) {
            assertion = script != null;
            message = "${unit}: credentialEnv needs a `script` to export its variables in (a module bug).";
          }
          ++ assertions;

        atnix.ports =
          lib.optionalAttrs hasListen { "${opt}.port" = [ cfg.port ]; }
          // lib.optionalAttrs metricsOn { "${opt}.metrics.port" = [ cfg.metrics.port ]; }
          // ports;

        systemd.services.${unit} = {
          inherit description preStart;
          wantedBy = [ "multi-user.target" ];
          wants = [ "network-online.target" ];
          after = [ "network-online.target" ];
          environment = cfg.environment or { };
          serviceConfig =
            mkHardening hardening
            // {
              Restart = "on-failure";
              RestartSec = 5;
            }
            // (
              if staticUser then
                {
                  User = unit;
                  Group = unit;
                }
              else
                { DynamicUser = true; }
            )
            // lib.optionalAttrs stateDirectory {
              StateDirectory = unit;
              StateDirectoryMode = "0700";
            }
            // lib.optionalAttrs (creds != { }) {
              LoadCredential = lib.mapAttrsToList (name: p: "${name}:${p}") creds;
            }
            // lib.optionalAttrs ((cfg.environmentFiles or [ ]) != [ ]) {
              EnvironmentFile = cfg.environmentFiles;
            }
            // lib.optionalAttrs (exec != null) { ExecStart = utils.escapeSystemdExecArgs exec; }
            // serviceConfig;
        }
        // lib.optionalAttrs (script != null) { script = credentialExports + script; };

        networking.firewall.allowedTCPPorts = lib.optionals (cfg.openFirewall or false) [ cfg.port ];
      }
      (lib.mkIf staticUser {
        users.users.${unit} = {
          isSystemUser = true;
          group = unit;
          description = "${unit} service user";
        };
        users.groups.${unit} = { };
      })
      # `mkIf`, not optionalAttrs: the shape of a config definition must not
      # depend on config.
      (lib.mkIf (cfg ? nginx) (nginxConfig { inherit cfg websockets; }))
    ];
}
