# Role `monitoring`: Prometheus with our alert rules and the deployment's,
# scraping every node over the private network; Alertmanager.
{ pkgs, lib, ... }:
let
  # The hive's shared module is plain config: a case's config cannot import.
  hive = import ../../../templates/production/production.nix { inherit lib; };
  mon =
    extra:
    lib.mkMerge [
      hive
      extra
      {
        networking.hostName = "mon";
        atnix.production.hosts.mon = {
          address = "10.0.0.32";
          roles = [ "monitoring" ];
        };
      }
    ];
in
{
  module = "production-monitoring";
  cases = {
    minimal.config = mon { };
    full.config = mon {
      services.prometheus.retentionTime = "90d";
      services.prometheus.alertmanager.webExternalUrl = "https://alerts.example.com";
    };
    bad-alertmanager-without-configuration = {
      config = mon { services.prometheus.alertmanager.configuration = lib.mkForce null; };
      expectAssertion = "Can not enable alertmanager without a configuration";
    };
    bad-prometheus-on-listen-port = {
      config = mon { services.prometheus.listenAddress = lib.mkForce "127.0.0.1:9090"; };
      expectAssertion = "Do not specify the port for Prometheus to listen on";
    };
  };
}
