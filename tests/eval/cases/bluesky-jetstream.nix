{ pkgs, lib, ... }:
{
  module = "bluesky-jetstream";
  cases = {
    minimal = {
      config = {
        services.bluesky.jetstream.enable = true;
      };
    };
    full = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.bluesky.jetstream = {
          enable = true;
          listenAddress = "0.0.0.0";
          port = 16008;
          openFirewall = true;
          relayUrl = "https://relay.example.com";
          plcUrl = "https://plc.example.com";
          logLevel = "debug";
          logFormat = "text";
          maxBackfillRepos = 20;
          backfillRepos = [
            "did:plc:4uz2445cjiw7w4nobfgnu35f"
            "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
          ];
          cursorLookback = "12h";
          environment.JETSTREAM_COMPACTION_INTERVAL = "1h";
          environmentFiles = [ "/run/secrets/jetstream.env" ];
          metrics = {
            enable = true;
            port = 16009;
          };
          nginx = {
            enable = true;
            hostName = "jetstream.example.com";
          };
          extraArgs = [ ];
        };
      };
    };
    bad-nginx-without-hostname = {
      config = {
        services.bluesky.jetstream = {
          enable = true;
          nginx.enable = true;
        };
      };
      expectAssertion = "also set services.bluesky.jetstream.nginx.hostName";
    };
    bad-port-clash-with-metrics = {
      config = {
        services.bluesky.jetstream = {
          enable = true;
          port = 6009;
          metrics.enable = true;
        };
      };
      expectAssertion = "6009";
    };
  };
  smoke = {
    unit = "bluesky-jetstream.service";
    case = "minimal";
    # The status page; the relay (bsky.network) is out of reach in the
    # container, which jetstream retries while it serves.
    http = {
      port = 6008;
      path = "/";
      expectStatus = 200;
    };
    needs = [ ];
  };
}
