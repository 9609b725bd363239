{ pkgs, lib, ... }:
{
  module = "microcosm-spacedust";
  cases = {
    minimal = {
      config = {
        services.microcosm.spacedust.enable = true;
      };
    };
    full = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.microcosm.spacedust = {
          enable = true;
          listenAddress = "0.0.0.0";
          port = 18080;
          openFirewall = true;
          jetstream = "us-west-2";
          jetstreamNoZstd = true;
          environment.RUST_LOG = "debug";
          metrics = {
            enable = true;
            port = 18766;
          };
          nginx = {
            enable = true;
            hostName = "spacedust.example.com";
          };
          extraArgs = [ ];
        };
      };
    };
    bad-nginx-without-hostname = {
      config = {
        services.microcosm.spacedust = {
          enable = true;
          nginx.enable = true;
        };
      };
      expectAssertion = "also set services.microcosm.spacedust.nginx.hostName";
    };
  };
  smoke = {
    unit = "microcosm-spacedust.service";
    case = "minimal";
    # `/` is the embedded static/index.html.
    http = {
      port = 8080;
      path = "/";
      expectStatus = 200;
    };
    needs = [ ];
  };
}
