{ pkgs, lib, ... }:
{
  module = "bluesky-hepa";
  cases = {
    minimal = {
      config = {
        services.bluesky.hepa.enable = true;
      };
    };
    full = {
      config = {
        services.bluesky.hepa = {
          enable = true;
          listenAddress = "0.0.0.0";
          port = 13989;
          openFirewall = true;
          relayHost = "wss://relay.example.com";
          plcUrl = "https://plc.example.com";
          bskyHost = "https://api.example.com";
          ozoneHost = "https://ozone.example.com";
          ozoneDid = "did:plc:ozoneexample";
          pdsHost = "https://pds.example.com";
          redisUrl = "redis://localhost:6379/0";
          plcRateLimit = 10;
          setsJsonPath = "/etc/hepa/sets.json";
          abyssHost = "https://abyss.example.com";
          ruleset = "no-blobs";
          logLevel = "debug";
          firehoseParallelism = 8;
          prescreenHost = "https://prescreen.example.com";
          reportDupePeriod = "12h";
          quotas = {
            reportsPerDay = 100;
            takedownsPerDay = 0;
            actionsPerDay = 50;
          };
          timeouts = {
            record = "10s";
            identity = "5s";
            ozone = "10s";
          };
          environment.GOMAXPROCS = "2";
          environmentFiles = [ "/run/secrets/hepa.env" ];
          extraArgs = [ ];
        };
      };
    };
    bad-open-firewall-on-loopback = {
      config = {
        services.bluesky.hepa = {
          enable = true;
          openFirewall = true;
        };
      };
      expectAssertion = "services.bluesky.hepa.openFirewall opens port 3989";
    };
    bad-environment-file-in-store = {
      config = {
        services.bluesky.hepa = {
          enable = true;
          environmentFiles = [ "/nix/store/00000000000000000000000000000000-hepa.env" ];
        };
      };
      expectAssertion = "absolute path not in the Nix store";
    };
  };
  smoke = {
    unit = "bluesky-hepa.service";
    case = "minimal";
    # The metrics listener is hepa's only one; the firehose dial to
    # bsky.network fails in the container, which hepa retries.
    http = {
      port = 3989;
      path = "/metrics";
      expectStatus = 200;
    };
    needs = [ ];
  };
}
