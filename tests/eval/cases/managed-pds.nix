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
  module = "managed-pds";
  cases = {
    minimal.config = host;
    full.config = lib.recursiveUpdate host {
      services.prometheus.enable = true;
      services.atproto-exporter.prometheus.targets.handle = [ "alice.pds.example.com" ];
    };
    bad-no-hostname = {
      config = removeAttrs host [ "services" ];
      expectAssertion = "services.bluesky.pds.hostname is not set";
    };
    # Scrape configurations for the PDS probe need a Prometheus.
    bad-scrape-without-prometheus = {
      config = lib.recursiveUpdate host {
        services.atproto-exporter.prometheus.enable = true;
      };
      expectAssertion = "also set services.prometheus.enable = true";
    };
  };
}
