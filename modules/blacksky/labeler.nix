# rsky-labeler: subscribes to a relay's (or PDS's) firehose, looks for slurs
# in posts, profiles and handles, and acts on matches through an Ozone
# moderation service (report, label, tag), logged in as that service's
# account. Configured by environment only (rsky-labeler/src/main.rs at the pin
# in pkgs/rsky/source.json; fixture: tests/fixtures/help/blacksky-labeler.txt).
# It listens on nothing.
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
    unit = "blacksky-labeler";
    flag = b: if b then "true" else "false";
  in
  {
    path = [
      "blacksky"
      "labeler"
    ];
    name = "rsky-labeler";
    description = "rsky-labeler, the firehose subscriber labelling content through an Ozone moderation service";
    package = "rsky-labeler";
    nginx = false;
    noArguments = true;
    environment = { };

    options = {
      subscriptionPath = mkOption {
        type = types.str;
        default = "wss://bsky.network";
        example = "ws://127.0.0.1:2584";
        description = ''
          Relay or PDS whose `com.atproto.sync.subscribeRepos` is read
          (`FEEDGEN_SUBSCRIPTION_PATH`; upstream's default). rsky-labeler
          handles no other stream, so the endpoint is not an option.
        '';
      };
      agentUrl = mkOption {
        type = types.str;
        default = "https://bsky.social";
        example = "https://pds.example.com";
        description = ''
          PDS (or entryway) the moderation account logs in to; its requests
          are proxied to the moderation service (`BSKY_AGENT_URL`; upstream's
          default).
        '';
      };
      serviceDid = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "did:plc:ar7c4by46qjdydhdevvrndac";
        description = ''
          DID of the Ozone moderation service (`MOD_SERVICE_DID`): the
          `atproto-proxy` target and the author of the label events. Required.
        '';
      };
      email = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "moderation@example.com";
        description = "Login identifier of the moderation account (`MOD_SERVICE_EMAIL`). Required.";
      };
      passwordFile = svc.mkSecretOption {
        description = "File holding the moderation account's password (`MOD_SERVICE_PASSWORD`). Required.";
      };
      label = mkOption {
        type = types.str;
        default = "antiblack-harassment";
        description = "Label applied to matching subjects (`MOD_SERVICE_LABEL`; upstream's default).";
      };
      labelReason = mkOption {
        type = types.str;
        default = "Explicit slur filter";
        description = "Comment on the label event (`MOD_SERVICE_LABEL_REASON`; upstream's default).";
      };
      comment = mkOption {
        type = types.str;
        default = "Explicit slur filter";
        description = "Prefix of each report's reason text (`MOD_SERVICE_COMMENT`; upstream's default).";
      };
      reasonType = mkOption {
        type = types.str;
        default = "com.atproto.moderation.defs#reasonRude";
        description = "Reason type of the reports (`MOD_SERVICE_REASON`; upstream's default).";
      };
      autolabelTags = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "auto-slur" ];
        description = "Tags added to matching subjects (`MOD_SERVICE_AUTOLABEL_TAGS`, comma-separated).";
      };
      createReport = mkOption {
        type = types.bool;
        default = true;
        description = "File a report for each match (`ENABLE_CREATE_REPORT`; upstream's default).";
      };
      createLabel = mkOption {
        type = types.bool;
        default = true;
        description = "Label each match (`ENABLE_CREATE_LABEL`; upstream's default).";
      };
      createTag = mkOption {
        type = types.bool;
        default = true;
        description = "Tag each match with `autolabelTags` (`ENABLE_CREATE_TAG`; upstream's default).";
      };
    };

    service = {
      inherit unit;
      description = "rsky-labeler, the firehose subscriber labelling content through an Ozone moderation service";
      # The plan asks for static users for Blacksky's services.
      staticUser = true;
      assertions = [
        {
          assertion = cfg.serviceDid != null;
          message = "${opt}.serviceDid is not set: set it to the DID of the Ozone moderation service rsky-labeler acts for.";
        }
        {
          assertion = cfg.email != null;
          message = "${opt}.email is not set: set it to the moderation account's login (rsky-labeler logs in at start).";
        }
        {
          assertion = cfg.passwordFile != null;
          message = "${opt}.passwordFile is not set: set it to a file holding the moderation account's password.";
        }
      ];
      credentials.mod-service-password = cfg.passwordFile;
      credentialEnv = {
        MOD_SERVICE_PASSWORD = "mod-service-password";
      };
      script = ''
        exec ${lib.getExe cfg.package}
      '';
    };

    extraConfig = {
      systemd.services.${unit}.environment = {
        FEEDGEN_SUBSCRIPTION_PATH = cfg.subscriptionPath;
        BSKY_AGENT_URL = cfg.agentUrl;
        MOD_SERVICE_DID = toString cfg.serviceDid;
        MOD_SERVICE_EMAIL = toString cfg.email;
        MOD_SERVICE_LABEL = cfg.label;
        MOD_SERVICE_LABEL_REASON = cfg.labelReason;
        MOD_SERVICE_COMMENT = cfg.comment;
        MOD_SERVICE_REASON = cfg.reasonType;
        ENABLE_CREATE_REPORT = flag cfg.createReport;
        ENABLE_CREATE_LABEL = flag cfg.createLabel;
        ENABLE_CREATE_TAG = flag cfg.createTag;
      }
      # Unset rather than empty: upstream splits "" into one empty tag.
      // lib.optionalAttrs (cfg.autolabelTags != [ ]) {
        MOD_SERVICE_AUTOLABEL_TAGS = lib.concatStringsSep "," cfg.autolabelTags;
      };
    };
  }
)
