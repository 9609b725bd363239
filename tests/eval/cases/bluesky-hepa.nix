{ pkgs, lib, ... }:
{
  module = "bluesky-hepa";
  cases = {
    minimal = {
      config = {
        services.bluesky.hepa.enable = true;
      };
    };
    with-relay = {
      config = {
        services.bluesky.hepa = {
          enable = true;
          relayHost = "ws://127.0.0.1:2470";
        };
        # A relay for hepa to follow: hepa exits when its relay is
        # out of reach; the relay binary runs as a plain unit
        # here, with nothing of the relay module to configure.
        systemd.services.hepa-smoke-relay = {
          wantedBy = [ "multi-user.target" ];
          # The shared preset: render and harden grade this unit too.
          serviceConfig = import ../../../lib/hardening.nix { inherit lib; } { loopbackOnly = true; } // {
            DynamicUser = true;
            StateDirectory = "hepa-smoke-relay";
            WorkingDirectory = "/var/lib/hepa-smoke-relay";
            # Started means listening: the follower dials it at once.
            ExecStartPost = "${pkgs.bash}/bin/bash -c 'for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/2470) 2>/dev/null && exit 0; sleep 0.1; done; exit 1'";
            ExecStart = "${lib.getExe pkgs.indigo-relay} serve --bind 127.0.0.1:2470 --metrics-listen 127.0.0.1:0 --db-url sqlite:///var/lib/hepa-smoke-relay/relay.sqlite --persist-dir /var/lib/hepa-smoke-relay/persist";
          };
        };
        systemd.services.bluesky-hepa = {
          requires = [ "hepa-smoke-relay.service" ];
          after = [ "hepa-smoke-relay.service" ];
        };
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
    case = "with-relay";
    # The metrics listener is hepa's only one; hepa runs while it follows
    # the stand-in relay of the case.
    http = {
      port = 3989;
      path = "/metrics";
      expectStatus = 200;
    };
    needs = [ ];
  };
}
