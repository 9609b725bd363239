{ pkgs, lib, ... }:
{
  module = "microcosm-ufos";
  cases = {
    minimal = {
      config = {
        services.microcosm.ufos.enable = true;
      };
    };
    full = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.microcosm.ufos = {
          enable = true;
          listenAddress = "0.0.0.0";
          port = 19990;
          openFirewall = true;
          jetstream = "wss://jetstream1.us-west.bsky.network/subscribe";
          jetstreamForce = true;
          backfill = true;
          metrics = {
            enable = true;
            port = 18768;
          };
          nginx = {
            enable = true;
            hostName = "ufos.example.com";
            enableACME = false;
            forceSSL = false;
          };
        };
      };
    };
    bad-nginx-without-hostname = {
      config = {
        services.microcosm.ufos = {
          enable = true;
          nginx.enable = true;
        };
      };
      expectAssertion = "also set services.microcosm.ufos.nginx.hostName";
    };
  };
  smoke = {
    unit = "microcosm-ufos.service";
    case = "minimal";
    # /meta: storage and consumer info as JSON.
    http = {
      port = 9990;
      path = "/meta";
      expectStatus = 200;
    };
    needs = [ ];
  };
}
