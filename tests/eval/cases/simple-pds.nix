{ pkgs, lib, ... }:
let
  host = {
    security.acme = {
      acceptTerms = true;
      defaults.email = "admin@example.com";
    };
    services.bluesky.pds = {
      hostname = "pds.example.com";
      proxy.acme = {
        dnsProvider = "cloudflare";
        credentialsFile = "/run/secrets/acme-cloudflare.env";
      };
    };
  };
in
{
  module = "simple-pds";
  cases = {
    minimal.config = host;
    full.config = lib.recursiveUpdate host {
      services.bluesky.pds = {
        serviceHandleDomains = [ ".pds.example.com" ];
        email = {
          fromAddress = "pds@example.com";
          smtpUrlFile = "/run/secrets/pds-smtp-url";
        };
        settings.PDS_CONTACT_EMAIL_ADDRESS = "admin@example.com";
        backup = {
          enable = true;
          repositoryFile = "/run/secrets/pds-restic-repository";
          passwordFile = "/run/secrets/pds-restic-password";
        };
      };
    };
    # What a host must still say: the hostname.
    bad-no-hostname = {
      config = removeAttrs host [ "services" ];
      expectAssertion = "services.bluesky.pds.hostname is not set";
    };
    # The wildcard certificate for handles needs DNS-01.
    bad-no-dns-provider = {
      config = {
        inherit (host) security;
        services.bluesky.pds.hostname = "pds.example.com";
      };
      expectAssertion = "which need a wildcard certificate";
    };
  };
}
