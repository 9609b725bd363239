# Role `loadbalancer`: HAProxy over the app nodes, health-checked, with the
# firehose sticky per client.
{ pkgs, lib, ... }:
let
  # The hive's shared module is plain config: a case's config cannot import.
  hive = import ../../../templates/production/production.nix { inherit lib; };
  lb =
    extra:
    lib.mkMerge [
      hive
      extra
      { networking.hostName = "lb"; }
    ];
in
{
  module = "production-loadbalancer";
  cases = {
    minimal.config = lb { };
    full.config = lb {
      atnix.production.loadBalancer = {
        port = 8080;
        backends = [
          "10.0.0.21:2470"
          "10.0.0.22:2470"
          "10.0.0.23:2470"
        ];
        healthCheckPath = "/xrpc/com.atproto.sync.listHosts";
      };
    };
    plain-http.config = lb { atnix.production.loadBalancer.tlsCertificateFile = lib.mkForce null; };
    bad-no-backends = {
      config = lb {
        atnix.production.hosts = {
          app1.roles = lib.mkForce [ ];
          app2.roles = lib.mkForce [ ];
        };
      };
      expectAssertion = "the load balancer has no backends";
    };
    bad-certificate-in-store = {
      config = lb {
        atnix.production.loadBalancer.tlsCertificateFile = lib.mkForce "/nix/store/00000000000000000000000000000000-relay.pem";
      };
      expectAssertion = "is not of type `null or absolute path not in the Nix store'";
    };
  };
}
