# profiles/production, role `monitoring`: NixOS' Prometheus and Alertmanager,
# on loopback (reach them through an SSH tunnel). Prometheus scrapes every
# node's exporter and every relay's metrics over the private network, probes
# each relay directly and through the load balancer with its own exporter,
# and evaluates our alert rules plus the deployment's
# (contrib/prometheus/production-alerts.yml: a node, a backend or the
# load-balanced service down).
{ config, lib, ... }:
let
  inherit (lib) mkDefault;
  cfg = config.atnix.production;
  topo = import ./topology.nix { inherit lib cfg; };
  lbAddress = topo.firstAddress "loadbalancer";
  appAddresses = topo.addresses topo.appHosts;
in
{
  imports = [ ./common.nix ];

  config = lib.mkIf (topo.has "monitoring") {
    services.prometheus = {
      enable = mkDefault true;
      listenAddress = "127.0.0.1";
      ruleFiles = [
        ../../contrib/prometheus/atproto-alerts.yml
        ../../contrib/prometheus/production-alerts.yml
      ];
      alertmanagers = [
        {
          static_configs = [
            { targets = [ "127.0.0.1:${toString config.services.prometheus.alertmanager.port}" ]; }
          ];
        }
      ];
      scrapeConfigs = [
        {
          job_name = "production-exporter";
          static_configs = lib.mapAttrsToList (name: h: {
            targets = [ "${h.address}:${toString topo.exporterPort}" ];
            labels.node = name;
          }) cfg.hosts;
        }
        {
          job_name = "production-relay";
          static_configs = lib.mapAttrsToList (name: h: {
            targets = [ "${h.address}:${toString topo.relayMetricsPort}" ];
            labels.node = name;
          }) topo.appHosts;
        }
      ];
    };

    services.prometheus.alertmanager = {
      enable = mkDefault true;
      listenAddress = "127.0.0.1";
      configuration = mkDefault cfg.monitoring.alertmanagerConfiguration;
    };

    # The relay prober, per node and through the load balancer.
    services.atproto-exporter.prometheus.targets.relay = mkDefault (
      map (a: "http://${a}:${toString topo.relayPort}") appAddresses
      ++ lib.optional (lbAddress != null) "http://${lbAddress}:${toString cfg.loadBalancer.port}"
    );
  };
}
