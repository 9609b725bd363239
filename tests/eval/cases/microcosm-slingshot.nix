{ pkgs, lib, ... }:
{
  module = "microcosm-slingshot";
  cases = {
    minimal = {
      config = {
        services.microcosm.slingshot.enable = true;
      };
    };
    full = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.microcosm.slingshot = {
          enable = true;
          listenAddress = "::";
          port = 18081;
          openFirewall = true;
          jetstream = "us-east-2";
          jetstreamNoZstd = true;
          recordCache = {
            memoryMB = 256;
            diskGB = 10;
          };
          identityCache = {
            memoryMB = 128;
            diskGB = 2;
          };
          healthcheckUrl = "https://hc-ping.example.com/slingshot";
          metrics = {
            enable = true;
            port = 18767;
          };
          nginx = {
            enable = true;
            hostName = "slingshot.example.com";
          };
        };
      };
    };
    # Two listeners of ours on one port.
    bad-metrics-on-service-port = {
      config = {
        services.microcosm.slingshot = {
          enable = true;
          port = 8767;
          metrics.enable = true;
        };
      };
      expectAssertion = "port 8767 is claimed by services.microcosm.slingshot.metrics.port and services.microcosm.slingshot.port";
    };
    # Another atnix service's claim, as its module would register it (the
    # harness evaluates one module per case).
    bad-port-taken-by-spacedust = {
      config = {
        atnix.ports."services.microcosm.spacedust.port" = [ 8080 ];
        services.microcosm.slingshot = {
          enable = true;
          port = 8080;
        };
      };
      expectAssertion = "port 8080 is claimed by services.microcosm.slingshot.port and services.microcosm.spacedust.port: set one of them to a free port";
    };
    # A certificate from an existing security.acme.certs entry.
    nginx-use-acme-host = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
          certs."example.com" = {
            domain = "*.example.com";
            dnsProvider = "rfc2136";
            environmentFile = "/var/lib/secrets/rfc2136.env";
            # NixOS' acme module asserts that nginx can read the files.
            group = "nginx";
          };
        };
        services.microcosm.slingshot = {
          enable = true;
          nginx = {
            enable = true;
            hostName = "slingshot.example.com";
            useACMEHost = "example.com";
          };
        };
      };
    };
    # Adding a variable keeps the RUST_LOG default (rendered unit).
    environment-added = {
      config = {
        services.microcosm.slingshot = {
          enable = true;
          environment.TZ = "UTC";
        };
      };
    };
    bad-nginx-without-hostname = {
      config = {
        services.microcosm.slingshot = {
          enable = true;
          nginx.enable = true;
        };
      };
      expectAssertion = "also set services.microcosm.slingshot.nginx.hostName";
    };
  };
  smoke = {
    unit = "microcosm-slingshot.service";
    case = "minimal";
    # `/` is ./static/index.html relative to WorkingDirectory: a 404 here means
    # the working directory is wrong.
    http = {
      port = 8081;
      path = "/";
      expectStatus = 200;
    };
    needs = [ ];
  };
}
