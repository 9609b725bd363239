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
      backup = {
        repositoryFile = "/run/secrets/pds-restic-repository";
        passwordFile = "/run/secrets/pds-restic-password";
      };
    };
  };
in
{
  module = "enterprise-pds";
  cases = {
    minimal.config = host;
    full.config = lib.recursiveUpdate host {
      services.bluesky.pds.backup.pruneOpts = [ "--keep-daily 14" ];
      services.atproto-exporter.prometheus.targets.handle = [ "alice.pds.example.com" ];
      services.grafana.settings.server.http_port = 3001;
      services.journald.extraConfig = "MaxRetentionSec=30day";
    };
    # Backups are on: they need somewhere to go.
    bad-no-backup-repository = {
      config = lib.recursiveUpdate host {
        services.bluesky.pds.backup = {
          repositoryFile = null;
          passwordFile = null;
        };
      };
      expectAssertion = "also set services.bluesky.pds.backup.repositoryFile";
    };
    # Grafana and the PDS on one port.
    bad-grafana-on-the-pds-port = {
      config = lib.recursiveUpdate host {
        services.grafana.settings.server.http_port = 2583;
      };
      expectAssertion = "port 2583 is claimed by";
    };
  };
}
