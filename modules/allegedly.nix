# allegedly: a PLC (did:plc directory) mirror in front of a reference
# did-method-plc server. `services.allegedly`, not services.microcosm.*:
# allegedly is its own repository and crate (at-microcosm/allegedly), not a
# member of the microcosm-rs workspace, and the namespace rule is
# services.<family>.<app> for workspace families only.
#
# Flags from src/bin/allegedly.rs, src/bin/mod.rs (global --upstream,
# --upstream-throttle-ms) and src/bin/mirror.rs at the pin in
# pkgs/allegedly/source.json (fixtures: tests/fixtures/help/allegedly*.txt).
#
# Modes (subcommands):
# - `mirror`: serve the wrapped server and keep its Postgres in sync with the
#   upstream PLC (needs write access to that Postgres);
# - `wrap`: serve the wrapped server read-only, no sync.
#
# Not exposed: allegedly's built-in ACME (`--acme-domain` …) forces :80/:443
# and CAP_NET_BIND_SERVICE; use the nginx virtual host for TLS.
import ../lib/service-module.nix (
  {
    cfg,
    opt,
    lib,
    svc,
    ...
  }:
  let
    inherit (lib) mkOption types optionals;

    argv = [
      (lib.getExe cfg.package)
      cfg.mode
      "--upstream"
      cfg.upstream
      "--upstream-throttle-ms"
      (toString cfg.upstreamThrottleMs)
      "--wrap"
      (toString cfg.wrap)
      "--bind"
      (svc.socketAddr cfg.listenAddress cfg.port)
    ]
    ++ optionals (cfg.wrapPgCert != null) [
      "--wrap-pg-cert"
      { credential = "wrap-pg-cert"; }
    ]
    ++ optionals cfg.experimentalWriteUpstream [ "--experimental-write-upstream" ]
    ++ cfg.extraArgs;
    # A credential is a path only known at start: leave it to the shell.
    shellArg =
      a: if a ? credential then "\"$CREDENTIALS_DIRECTORY/${a.credential}\"" else lib.escapeShellArg a;
  in
  {
    path = [ "allegedly" ];
    name = "allegedly";
    description = "allegedly, microcosm's PLC mirror";
    package = "allegedly";
    # Upstream's default port, 8000.
    port = 8000;
    # allegedly logs through env_logger.
    environment.RUST_LOG = "info";

    options = {
      mode = mkOption {
        type = types.enum [
          "mirror"
          "wrap"
        ];
        default = "mirror";
        description = ''
          `mirror` serves the wrapped PLC server and syncs its Postgres from
          `upstream` (needs `wrapPgFile`); `wrap` only serves it, read-only.
        '';
      };
      upstream = mkOption {
        type = types.str;
        default = "https://plc.directory";
        description = "Upstream PLC server to sync from (`--upstream`, upstream default).";
      };
      upstreamThrottleMs = mkOption {
        type = types.ints.unsigned;
        default = 600;
        description = "Minimum interval between upstream requests in ms (`--upstream-throttle-ms`; plc.directory allows 500 requests per 5 min).";
      };
      wrap = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "http://127.0.0.1:2582";
        description = "URL of the reference did-method-plc server allegedly wraps (`--wrap`). Required.";
      };
      wrapPgFile = svc.mkSecretOption {
        example = "/run/secrets/allegedly-pg-url";
        description = ''
          File holding the URL of the wrapped server's Postgres, with write
          access (`--wrap-pg` / ALLEGEDLY_WRAP_PG), e.g.
          `postgresql://plc:PASSWORD@127.0.0.1/plc`. Required in `mirror`
          mode.
        '';
      };
      wrapPgCert = svc.mkSecretOption {
        example = "/etc/ssl/plc-pg-ca.pem";
        description = "CA certificate for the Postgres TLS connection (`--wrap-pg-cert`).";
      };
      experimentalWriteUpstream = mkOption {
        type = types.bool;
        default = false;
        description = "Forward PLC operations posted to the mirror on to `upstream` (`--experimental-write-upstream`).";
      };
    };

    service = {
      unit = "allegedly";
      description = "allegedly, microcosm's PLC mirror";
      assertions = [
        {
          assertion = cfg.wrap != null;
          message = "${opt}.wrap is not set: set it to the URL of the did-method-plc server allegedly wraps.";
        }
        {
          assertion = cfg.mode == "mirror" -> cfg.wrapPgFile != null;
          message = "${opt}.mode = \"mirror\" syncs into the wrapped server's Postgres: set ${opt}.wrapPgFile to a file holding its URL, or use mode = \"wrap\".";
        }
      ];
      # Both files stay outside the store: systemd hands them over as
      # credentials, and the URL (with its password) is read at start.
      credentials = {
        wrap-pg = cfg.wrapPgFile;
        wrap-pg-cert = cfg.wrapPgCert;
      };
      credentialEnv = {
        ALLEGEDLY_WRAP_PG = "wrap-pg";
      };
      script = "exec ${lib.concatMapStringsSep " " shellArg argv}\n";
    };
  }
)
