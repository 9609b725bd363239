{ pkgs, lib, ... }:
{
  module = "microcosm-constellation";
  cases = {
    minimal = {
      config = {
        services.microcosm.constellation.enable = true;
      };
    };
    full = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.microcosm.constellation = {
          enable = true;
          listenAddress = "::";
          port = 16789;
          openFirewall = true;
          jetstream = "wss://jetstream2.us-west.bsky.network/subscribe";
          backend = "rocks";
          upgradeSnapshots = {
            enable = true;
            keep = 2;
            healthCheck = {
              url = "http://127.0.0.1:16789/";
              timeout = 120;
            };
          };
          didWebDomain = "constellation.example.com";
          backup = {
            enable = true;
            interval = 24;
            maxOld = 7;
          };
          metrics = {
            enable = true;
            port = 18765;
          };
          nginx = {
            enable = true;
            hostName = "constellation.example.com";
          };
          extraArgs = [ "--repair-target-ids" ];
        };
      };
    };
    memory-backend = {
      config = {
        services.microcosm.constellation = {
          enable = true;
          backend = "memory";
        };
      };
    };
    bad-nginx-without-hostname = {
      config = {
        services.microcosm.constellation = {
          enable = true;
          nginx.enable = true;
        };
      };
      expectAssertion = "also set services.microcosm.constellation.nginx.hostName";
    };
    bad-backup-with-memory-backend = {
      config = {
        services.microcosm.constellation = {
          enable = true;
          backend = "memory";
          backup.enable = true;
        };
      };
      expectAssertion = "backup.enable needs services.microcosm.constellation.backend = \"rocks\"";
    };
    bad-max-old-without-interval = {
      config = {
        services.microcosm.constellation = {
          enable = true;
          backup = {
            enable = true;
            maxOld = 3;
          };
        };
      };
      expectAssertion = "refuses --max-old-backups without --backup-interval";
    };
  };
  smoke = {
    unit = "microcosm-constellation.service";
    case = "minimal";
    # `/` is the hello page (JSON or HTML by Accept) with storage stats.
    http = {
      port = 6789;
      path = "/";
      expectStatus = 200;
    };
    needs = [ ];
  };
}
