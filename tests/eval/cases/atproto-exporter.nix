{ pkgs, lib, ... }:
{
  module = "atproto-exporter";
  cases = {
    minimal = {
      config = {
        services.atproto-exporter.enable = true;
      };
    };
    full = {
      config = {
        services.prometheus.enable = true;
        services.atproto-exporter = {
          enable = true;
          listenAddress = "::";
          port = 19197;
          openFirewall = true;
          defaultTimeout = 8;
          maxConcurrentProbes = 4;
          allowedIPs = [ "192.0.2.0/24" ];
          settings.modules = {
            pds_quick = {
              prober = "pds";
              firehose = false;
              list_repos_max_pages = 1;
            };
            relay_mine = {
              prober = "relay";
              pds_host = "pds.example.com";
            };
            handle_local = {
              prober = "handle";
              http_base = "http://127.0.0.1:3000";
              timeout_seconds = 5;
            };
          };
          prometheus = {
            targets = {
              pds = [ "https://pds.example.com" ];
              pds_quick = [ "https://pds2.example.com" ];
              relay_mine = [ "https://relay.example.com" ];
              handle = [ "alice.example.com" ];
            };
            scrapeInterval = "30s";
            scrapeTimeout = "10s";
          };
          extraArgs = [ "--timeout-offset=1" ];
        };
      };
    };
    loopback-only = {
      config = {
        services.atproto-exporter = {
          enable = true;
          allowedIPs = [ ];
        };
      };
    };
    bad-unknown-module-target = {
      config = {
        services.prometheus.enable = true;
        services.atproto-exporter = {
          enable = true;
          prometheus.targets.smtp = [ "mail.example.com" ];
        };
      };
      expectAssertion = "prometheus.targets.smtp: no such module";
    };
    bad-scrape-without-prometheus = {
      config = {
        services.atproto-exporter = {
          enable = true;
          prometheus.enable = true;
          prometheus.targets.pds = [ "https://pds.example.com" ];
        };
      };
      expectAssertion = "also set services.prometheus.enable = true";
    };
  };
  smoke = {
    unit = "atproto-exporter.service";
    case = "minimal";
    http = {
      port = 9197;
      path = "/metrics";
      expectStatus = 200;
    };
    needs = [ ];
  };
}
