# Stub of services.postgresql (nixos/modules/services/databases/postgresql.nix)
# and services.prometheus (nixos/modules/services/monitoring/prometheus/default.nix).
# The search index holds neither at the flake.lock commit
# (2c423e03bbafcff28bfadc6781a4a8257f205cb5). Prometheus follows a current
# copy of the module (mkOpt/mkDefOpt scrape configs, scrape_protocols,
# fallback_scrape_protocol; the index's NixOS/nixpkgs entry only holds a 2016
# version, 80f38e9032a8fc3af44a04800e1e149f30b00603); postgresql's options
# were not re-read in this pass and are kept as first written (their facts are
# not recorded). Facts: ../nixos-facts/prometheus.json.
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
  # prometheus/default.nix: mkOpt and mkDefOpt (null means "prometheus' default").
  mkOpt = type: description: mkOption {
    type = types.nullOr type;
    default = null;
    inherit description;
  };
  tlsConfig = types.submodule {
    options = {
      ca_file = mkOpt types.str "CA certificate to validate API server certificate with.";
      cert_file = mkOpt types.str "Certificate file for client cert authentication to the server.";
      key_file = mkOpt types.str "Key file for client cert authentication to the server.";
      server_name = mkOpt types.str "ServerName extension to indicate the name of the server.";
      insecure_skip_verify = mkOpt types.bool "Disable validation of the server certificate.";
    };
  };
  basicAuth = types.submodule {
    options = {
      username = mkOption {
        type = types.str;
        description = "HTTP username";
      };
      password = mkOpt types.str "HTTP password";
      password_file = mkOpt types.str "HTTP password file";
    };
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
  relabelConfig = types.submodule {
    options = {
      source_labels = mkOpt (types.listOf types.str) "The source labels select values from existing labels.";
      separator = mkOpt types.str "Separator placed between concatenated source label values.";
      target_label = mkOpt types.str "Label to which the resulting value is written in a replace action.";
      regex = mkOpt types.str "Regular expression against which the extracted value is matched.";
      modulus = mkOpt types.int "Modulus to take of the hash of the source label values.";
      replacement = mkOpt types.str "Replacement value against which a regex replace is performed.";
      action = mkOpt (types.enum [
        "replace"
        "lowercase"
        "uppercase"
        "keep"
        "drop"
        "hashmod"
        "labelmap"
        "labeldrop"
        "labelkeep"
      ]) "Action to perform based on regex matching.";
    };
  };
  fileSdConfig = types.submodule {
    options = {
      files = mkOption {
        type = types.listOf types.str;
        description = "Patterns for files from which target groups are extracted.";
      };
      refresh_interval = mkOpt types.str "Refresh interval to re-read the files.";
    };
  };
  dnsSdConfig = types.submodule {
    options = {
      names = mkOption {
        type = types.listOf types.str;
        description = "A list of DNS SRV record names to be queried.";
      };
      type = mkOpt (types.enum [
        "SRV"
        "A"
        "AAAA"
      ]) "The type of DNS query to perform.";
      port = mkOpt types.port "The port number used if the query type is not SRV.";
      refresh_interval = mkOpt types.str "The time after which the provided names are refreshed.";
    };
  };
  httpSdConfig = types.submodule {
    options = {
      url = mkOption {
        type = types.str;
        description = "URL from which the targets are fetched.";
      };
      refresh_interval = mkOpt types.str "Refresh interval to re-query the endpoint.";
      basic_auth = mkOpt basicAuth "Authentication information used to authenticate to the API server.";
      proxy_url = mkOpt types.str "Optional proxy URL.";
      follow_redirects = mkOpt types.bool "Configure whether HTTP requests follow HTTP 3xx redirects.";
      tls_config = mkOpt tlsConfig "Configures the scrape request's TLS settings.";
    };
  };
  # No freeformType, as in NixOS: a misspelled key is an undeclared option.
  # The cloud service discoveries (azure, consul, ec2, kubernetes, ...) are not
  # declared here; a configuration using one fails here though NixOS takes it.
  scrapeConfig = types.submodule {
    options = {
      authorization = mkOption {
        type = types.nullOr types.attrs;
        default = null;
        description = "Sets the `Authorization` header on every scrape request with the configured credentials.";
      };
      job_name = mkOption {
        type = types.str;
        description = "The job name assigned to scraped metrics by default.";
      };
      scrape_interval = mkOpt types.str "How frequently to scrape targets from this job.";
      scrape_timeout = mkOpt types.str "Per-target timeout when scraping this job.";
      scrape_protocols = mkOpt (types.listOf types.str) "The protocols to negotiate during a scrape with the client.";
      fallback_scrape_protocol = mkOpt types.str "Fallback protocol to use if a scrape returns an invalid Content-Type.";
      metrics_path = mkOpt types.str "The HTTP resource path on which to fetch metrics from targets.";
      honor_labels = mkOpt types.bool "Controls how Prometheus handles conflicts between labels.";
      honor_timestamps = mkOpt types.bool "Whether Prometheus respects the timestamps present in scraped data.";
      scheme = mkOpt (types.enum [
        "http"
        "https"
      ]) "The URL scheme with which to fetch metrics from targets.";
      params = mkOpt (types.attrsOf (types.listOf types.str)) "Optional HTTP URL parameters.";
      basic_auth = mkOpt basicAuth "Sets the `Authorization` header with the configured username and password.";
      bearer_token = mkOpt types.str "Sets the `Authorization` header with the configured bearer token.";
      bearer_token_file = mkOpt types.str "Sets the `Authorization` header with the bearer token read from the configured file.";
      tls_config = mkOpt tlsConfig "Configures the scrape request's TLS settings.";
      proxy_url = mkOpt types.str "Optional proxy URL.";
      dns_sd_configs = mkOpt (types.listOf dnsSdConfig) "List of DNS service discovery configurations.";
      file_sd_configs = mkOpt (types.listOf fileSdConfig) "List of file service discovery configurations.";
      http_sd_configs = mkOpt (types.listOf httpSdConfig) "List of HTTP service discovery configurations.";
      static_configs = mkOpt (types.listOf staticConfig) "List of labeled target groups for this job.";
      relabel_configs = mkOpt (types.listOf relabelConfig) "List of relabel configurations.";
      metric_relabel_configs = mkOpt (types.listOf relabelConfig) "List of metric relabel configurations.";
      body_size_limit = mkOpt types.str "An uncompressed response body larger than this many bytes fails the scrape.";
      sample_limit = mkOpt types.int "Per-scrape limit on number of scraped samples that will be accepted.";
      label_limit = mkOpt types.int "Per-scrape limit on number of labels that will be accepted for a sample.";
      label_name_length_limit = mkOpt types.int "Per-scrape limit on length of labels name.";
      label_value_length_limit = mkOpt types.int "Per-scrape limit on length of labels value.";
      target_limit = mkOpt types.int "Per-scrape config limit on number of unique targets that will be accepted.";
    };
  };
  globalConfig = types.submodule {
    options = {
      scrape_interval = mkOpt types.str "How frequently to scrape targets by default.";
      scrape_timeout = mkOpt types.str "How long until a scrape request times out.";
      evaluation_interval = mkOpt types.str "How frequently to evaluate rules by default.";
      external_labels = mkOpt (types.attrsOf types.str) "The labels to add to any time series or alerts when communicating with external systems.";
      query_log_file = mkOpt types.str "Path to the file prometheus should write its query log to.";
    };
  };
  prom = config.services.prometheus;
  # prometheus/default.nix: what goes into prometheus.yml.
  filterValidPrometheus = filterAttrsListRecursive (n: v: !(n == "_module" || v == null));
  filterAttrsListRecursive =
    pred: x:
    if lib.isAttrs x then
      lib.listToAttrs (
        lib.concatMap (
          name:
          let
            v = x.${name};
          in
          if pred name v then [ (lib.nameValuePair name (filterAttrsListRecursive pred v)) ] else [ ]
        ) (lib.attrNames x)
      )
    else if lib.isList x then
      map (filterAttrsListRecursive pred) x
    else
      x;
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
    stateDir = mkOption {
      type = types.str;
      default = "prometheus2";
      description = "Directory below `/var/lib` to store Prometheus metrics data.";
    };
    extraFlags = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "Extra commandline options when launching Prometheus.";
    };
    globalConfig = mkOption {
      type = globalConfig;
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
      description = "Alerting and/or Recording rules to evaluate at runtime.";
    };
    ruleFiles = mkOption {
      type = types.listOf types.path;
      default = [ ];
      description = "Any additional rules files to include in this configuration.";
    };
    alertmanagers = mkOption {
      type = types.listOf types.attrs;
      default = [ ];
      description = "A list of alertmanagers to send alerts to.";
    };
    webExternalUrl = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "The URL under which Prometheus is externally reachable.";
    };
    retentionTime = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "How long to retain samples in storage.";
    };
  };

  # postgresql.nix sets these plainly (not mkDefault) when enabled: a
  # configuration setting listen_addresses needs mkForce there too.
  config.services.postgresql = lib.mkIf pg.enable {
    settings.listen_addresses = if pg.enableTCPIP then "*" else "localhost";
    authentication = lib.mkAfter ''
      # default value of services.postgresql.authentication
      local all postgres         peer map=postgres
      local all all              peer
      host  all all 127.0.0.1/32 md5
      host  all all ::1/128      md5
    '';
  };

  config.users = lib.mkIf prom.enable {
    users.prometheus = {
      description = "Prometheus daemon user";
      group = "prometheus";
      isSystemUser = true;
    };
    groups.prometheus = { };
  };

  config.assertions =
    lib.optionals prom.enable [
      (
        let
          legacy = builtins.match "(.*\\..*|.*]):([[:digit:]]+)" prom.listenAddress;
        in
        {
          assertion = legacy == null;
          message = ''
            Do not specify the port for Prometheus to listen on in the
            listenAddress option; use the port option instead:
              services.prometheus.listenAddress = ${builtins.elemAt legacy 0};
              services.prometheus.port = ${builtins.elemAt legacy 1};
          '';
        }
      )
      {
        # prometheus.yml is generated from every scrape and global setting:
        # a value of the wrong type or a misspelled key fails there.
        assertion = builtins.deepSeq (builtins.toJSON (filterValidPrometheus {
          inherit (prom) globalConfig scrapeConfigs;
        })) true;
        message = "unreachable: reading the scrape configurations throws when one is invalid";
      }
    ]
    ++ lib.optionals pg.enable (
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
