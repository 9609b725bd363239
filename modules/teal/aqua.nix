# aqua: teal.fm's AppView API. It serves the fm.teal XRPC queries (profiles,
# plays, feeds, stats) from the shared teal database, a did:web document, and
# CAR-import endpoints that queue jobs in Redis for cadet. Configured by
# environment (apps/aqua/src at the pin in pkgs/teal/source.json; fixture:
# tests/fixtures/help/teal-aqua.txt, which quotes its --help too).
# Its one flag, --import-identity-car, queues one import and exits: a command
# to run by hand, not the service.
#
# Upstream binds 0.0.0.0:3000, fixed at compile time; the package reads
# ATNIX_LISTEN_ADDR instead (pkgs/teal/services.nix), so listenAddress and
# port work as for every atnix service.
import ./lib/module.nix (
  {
    cfg,
    opt,
    lib,
    svc,
    redisUrlOption,
    ...
  }:
  let
    inherit (lib) mkOption types;
  in
  {
    app = "aqua";
    name = "aqua";
    description = "aqua, teal.fm's AppView API";
    port = 3400;

    options = {
      hostname = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "aqua.example.com";
        description = ''
          Public hostname (`APP_HOST`): /.well-known/did.json describes
          `did:web:<hostname>` with https://<hostname> as its endpoints.
          Required; upstream's fallback is localhost:3000.
        '';
      };
      publicKeyMultibase = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme";
        description = ''
          The did:web document's atproto verification key, multibase-encoded
          (`TEST_PUBKEY`; a public key, not a secret). Null: upstream's
          built-in placeholder key, which signs nothing.
        '';
      };
      redisUrl = redisUrlOption "cadet works off";
    };

    assertions = [
      {
        assertion = cfg.hostname != null;
        message = "${opt}.hostname is not set: set it to aqua's public hostname, e.g. \"aqua.example.com\" (its did:web document names it).";
      }
    ];

    variables = {
      ATNIX_LISTEN_ADDR = svc.socketAddr cfg.listenAddress cfg.port;
      APP_HOST = cfg.hostname;
    }
    // lib.optionalAttrs (cfg.publicKeyMultibase != null) { TEST_PUBKEY = cfg.publicKeyMultibase; }
    // lib.optionalAttrs (cfg.redisUrl != null) { REDIS_URL = cfg.redisUrl; };
  }
)
