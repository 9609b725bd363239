# What rsky-firehose and rsky-jetstream-subscriber share as clients of
# rsky-feedgen: the queue URL (the local services.blacksky.feedgen by
# default) and the API key, read from a systemd credential into RSKY_API_KEY.
# Not a module: modules/default.nix only takes the .nix files directly under
# modules/blacksky.
{
  lib,
  config,
  svc,
}:
{
  # The program's name, for messages.
  program,
  # Why upstream's own fallback queue URL is not used.
  fallbackNote,
}:
let
  inherit (lib) mkOption types;
  feedgen = config.services.blacksky.feedgen or { enable = false; };
in
{
  inherit feedgen;

  options = {
    queueEndpoint = mkOption {
      type = types.nullOr types.str;
      default =
        if feedgen.enable then "http://${svc.connectAddr feedgen.listenAddress feedgen.port}" else null;
      defaultText = lib.literalMD "the local `services.blacksky.feedgen` when it is enabled, else null";
      example = "https://feeds.example.com";
      description = ''
        rsky-feedgen base URL the records are sent to
        (`FEEDGEN_QUEUE_ENDPOINT`). ${fallbackNote}
      '';
    };
    apiKeyFile = svc.mkSecretOption {
      description = "File holding rsky-feedgen's API key (`RSKY_API_KEY`), sent as `X-RSKY-KEY`. Required.";
    };
  };

  # mkService arguments: the assertions, the credential and the script.
  service = cfg: opt: {
    assertions = [
      {
        assertion = cfg.queueEndpoint != null;
        message = "${opt}.queueEndpoint is not set: set it to rsky-feedgen's URL, or enable services.blacksky.feedgen on this host.";
      }
      {
        assertion = cfg.apiKeyFile != null;
        message = "${opt}.apiKeyFile is not set: ${program} sends every record with rsky-feedgen's API key; set it to a file holding that key.";
      }
    ];
    credentials.rsky-api-key = cfg.apiKeyFile;
    credentialEnv = {
      RSKY_API_KEY = "rsky-api-key";
    };
    script = ''
      exec ${lib.getExe cfg.package}
    '';
  };
}
