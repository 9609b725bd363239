{ pkgs, lib, ... }:
{
  module = "bluesky-jetstream";
  cases = {
    minimal = {
      config = {
        services.bluesky.jetstream.enable = true;
      };
    };
    with-relay = {
      config = {
        services.bluesky.jetstream = {
          enable = true;
          relayUrl = "http://127.0.0.1:2470";
        };
        # A relay for jetstream to follow: jetstream exits when its relay is
        # out of reach; the relay binary runs as a plain unit
        # here, with nothing of the relay module to configure.
        systemd.services.jetstream-smoke-relay = {
          wantedBy = [ "multi-user.target" ];
          # The shared preset: render and harden grade this unit too.
          serviceConfig = import ../../../lib/hardening.nix { inherit lib; } { loopbackOnly = true; } // {
            DynamicUser = true;
            StateDirectory = "jetstream-smoke-relay";
            WorkingDirectory = "/var/lib/jetstream-smoke-relay";
            # Started means listening: the follower dials it at once.
            ExecStartPost = "${pkgs.bash}/bin/bash -c 'for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/2470) 2>/dev/null && exit 0; sleep 0.1; done; exit 1'";
            ExecStart = "${lib.getExe pkgs.indigo-relay} serve --bind 127.0.0.1:2470 --metrics-listen 127.0.0.1:0 --db-url sqlite:///var/lib/jetstream-smoke-relay/relay.sqlite --persist-dir /var/lib/jetstream-smoke-relay/persist";
          };
        };
        systemd.services.bluesky-jetstream = {
          requires = [ "jetstream-smoke-relay.service" ];
          after = [ "jetstream-smoke-relay.service" ];
        };
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
    case = "with-relay";
    # The status page, while jetstream follows the stand-in relay of the
    # case.
    http = {
      port = 6008;
      path = "/";
      expectStatus = 200;
    };
    needs = [ ];
  };
}
