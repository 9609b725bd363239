# enterprise-pds: managed-pds plus daily backups (restic), a Prometheus
# scraping the exporter with our alert rules (contrib/prometheus), Grafana
# with our dashboard (contrib/grafana) on loopback, and journald retention.
# Besides simple-pds's settings, set the backup repository and password:
#
#   services.bluesky.pds.backup = {
#     repositoryFile = "/run/secrets/pds-restic-repository";
#     passwordFile = "/run/secrets/pds-restic-password";
#   };
#
# Grafana and Prometheus listen on loopback only (security settings, set
# plainly): reach them through an SSH tunnel or a proxy with authentication.
{ lib, ... }:
let
  inherit (lib) mkDefault;
in
{
  imports = [ ./managed-pds.nix ];

  services.bluesky.pds.backup.enable = mkDefault true;

  services.prometheus = {
    enable = mkDefault true;
    listenAddress = "127.0.0.1";
    ruleFiles = [ ../contrib/prometheus/atproto-alerts.yml ];
  };

  services.grafana = {
    enable = mkDefault true;
    settings.server.http_addr = "127.0.0.1";
    provision = {
      enable = mkDefault true;
      datasources.settings.datasources = [
        {
          name = "Prometheus";
          type = "prometheus";
          url = mkDefault "http://127.0.0.1:9090";
        }
      ];
      dashboards.settings.providers = [
        {
          name = "atnix";
          options.path = ../contrib/grafana;
        }
      ];
    };
  };

  # 90 days of logs, at most 4 GiB.
  services.journald.extraConfig = mkDefault ''
    MaxRetentionSec=90day
    SystemMaxUse=4G
  '';
}
