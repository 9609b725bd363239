# Stub of services.postgresql (nixos/modules/services/databases/postgresql.nix)
# and services.prometheus (nixos/modules/services/monitoring/prometheus/default.nix),
# nixpkgs @ 013635633ffe11f70df1d639f563f21c42c1f778.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;
  pg = config.services.postgresql;
  nullOf = type: description: mkOption {
    type = types.nullOr type;
    default = null;
    inherit description;
  };
  staticConfig = types.submodule {
    options = {
      targets = mkOption {
        type = types.listOf types.str;
        description = "The targets specified by the target group.";
      };
      labels = mkOption {
        type = types.attrsOf types.str;
        default = { };
        description = "Labels assigned to all metrics scraped from the targets.";
      };
    };
  };
  scrapeConfig = types.submodule {
    options = {
      job_name = mkOption {
        type = types.str;
        description = "The job name assigned to scraped metrics by default.";
      };
      honor_labels = nullOf types.bool "Whether scraped labels win over server labels.";
      params = nullOf (types.attrsOf (types.listOf types.str)) "Optional HTTP URL parameters.";
      scrape_interval = nullOf types.str "How frequently to scrape targets from this job.";
      scrape_timeout = nullOf types.str "Per-scrape timeout.";
      metrics_path = nullOf types.str "The HTTP resource path on which to fetch metrics from targets.";
      scheme = nullOf (types.enum [ "http" "https" ]) "The URL scheme with which to fetch metrics.";
      static_configs = nullOf (types.listOf staticConfig) "List of labeled target groups for this job.";
      relabel_configs = nullOf (types.listOf (types.attrsOf types.anything)) "Target relabel configurations.";
      metric_relabel_configs = nullOf (types.listOf (types.attrsOf types.anything)) "Metric relabel configurations.";
      file_sd_configs = nullOf (types.listOf (types.attrsOf types.anything)) "File-based service discovery.";
      bearer_token_file = nullOf types.str "File with the bearer token.";
      basic_auth = nullOf (types.attrsOf types.str) "Basic authentication (username, password_file).";
      tls_config = nullOf (types.attrsOf types.anything) "TLS configuration.";
    };
  };
in
{
  options.services.postgresql = {
    enable = lib.mkEnableOption "PostgreSQL Server";
    package = mkOption {
      type = types.package;
      default = pkgs.postgresql;
      description = "The PostgreSQL package to use.";
    };
    dataDir = mkOption {
      type = types.path;
      default = "/var/lib/postgresql/${pg.package.psqlSchema or "17"}";
      description = "The data directory for PostgreSQL.";
    };
    enableTCPIP = lib.mkEnableOption "PostgreSQL listening on TCP/IP";
    authentication = mkOption {
      type = types.lines;
      default = "";
      description = "Defines how users authenticate themselves to the server (pg_hba.conf).";
    };
    identMap = mkOption {
      type = types.lines;
      default = "";
      description = "Defines the mapping from system users to database users (pg_ident.conf).";
    };
    initialScript = nullOf types.path "A file containing SQL statements to execute on first startup.";
    ensureDatabases = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "Ensures that the specified databases exist.";
    };
    ensureUsers = mkOption {
      type = types.listOf (types.submodule {
        options = {
          name = mkOption {
            type = types.str;
            description = "Name of the user to ensure.";
          };
          ensureDBOwnership = mkOption {
            type = types.bool;
            default = false;
            description = "Grants the user ownership of a database with the same name.";
          };
          ensureClauses = mkOption {
            default = { };
            description = "An attrset of clauses to grant to the user.";
            type = types.submodule {
              options = lib.genAttrs [
                "superuser"
                "createrole"
                "createdb"
                "inherit"
                "login"
                "replication"
                "bypassrls"
              ] (n: nullOf types.bool "Grants the user the ${n} attribute.");
            };
          };
        };
      });
      default = [ ];
      description = "Ensures that the specified users exist.";
    };
    settings = mkOption {
      default = { };
      description = "PostgreSQL configuration (postgresql.conf).";
      type = types.submodule {
        freeformType = with types; attrsOf (oneOf [ bool float int str ]);
        options.port = mkOption {
          type = types.port;
          default = 5432;
          description = "The port on which PostgreSQL listens.";
        };
      };
    };
  };

  options.services.prometheus = {
    enable = lib.mkEnableOption "Prometheus monitoring daemon";
    port = mkOption {
      type = types.port;
      default = 9090;
      description = "Port to listen on.";
    };
    listenAddress = mkOption {
      type = types.str;
      default = "0.0.0.0";
      description = "Address to listen on for the web interface, API, and telemetry.";
    };
    globalConfig = mkOption {
      type = types.attrsOf types.anything;
      default = { };
      description = "Parameters that are valid in all configuration contexts.";
    };
    scrapeConfigs = mkOption {
      type = types.listOf scrapeConfig;
      default = [ ];
      description = "A list of scrape configurations.";
    };
    rules = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "Alerting and/or recording rules to evaluate at runtime.";
    };
    ruleFiles = mkOption {
      type = types.listOf types.path;
      default = [ ];
      description = "Any additional rules files to include in this configuration.";
    };
  };

  config.assertions = lib.optionals pg.enable (
    map (
      { name, ... }:
      {
        assertion = lib.elem name pg.ensureDatabases;
        message = ''
          For each database user defined with `services.postgresql.ensureUsers` and
          `ensureDBOwnership = true;`, a database with the same name must be defined
          in `services.postgresql.ensureDatabases`.

          Offender: ${name} has not been found among databases.
        '';
      }
    ) (lib.filter (u: u.ensureDBOwnership) pg.ensureUsers)
  );
}
