{ pkgs, lib, ... }:
let
  required = {
    enable = true;
    serviceDid = "did:plc:ar7c4by46qjdydhdevvrndac";
    email = "moderation@example.com";
    passwordFile = "/run/secrets/mod-service-password";
  };
in
{
  module = "blacksky-labeler";
  cases = {
    minimal = {
      config = {
        services.blacksky.labeler = required;
      };
    };
    full = {
      config = {
        services.blacksky.labeler = required // {
          subscriptionPath = "wss://relay.example.com";
          agentUrl = "https://pds.example.com";
          label = "slur";
          labelReason = "Slur filter";
          comment = "Slur filter";
          reasonType = "com.atproto.moderation.defs#reasonOther";
          autolabelTags = [
            "auto"
            "slur"
          ];
          createReport = false;
          createLabel = true;
          createTag = true;
        };
      };
    };
    bad-no-service-did = {
      config = {
        services.blacksky.labeler = removeAttrs required [ "serviceDid" ];
      };
      expectAssertion = "services.blacksky.labeler.serviceDid is not set";
    };
    bad-no-email = {
      config = {
        services.blacksky.labeler = removeAttrs required [ "email" ];
      };
      expectAssertion = "services.blacksky.labeler.email is not set";
    };
    bad-no-password = {
      config = {
        services.blacksky.labeler = removeAttrs required [ "passwordFile" ];
      };
      expectAssertion = "services.blacksky.labeler.passwordFile is not set";
    };
    bad-extra-args = {
      config = {
        services.blacksky.labeler = required // {
          extraArgs = [ "--verbose" ];
        };
      };
      expectAssertion = "rsky-labeler takes no arguments";
    };
  };
}
