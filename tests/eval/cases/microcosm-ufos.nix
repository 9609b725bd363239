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
    # A NixOS service the user enabled claims the port too.
    bad-port-taken-by-prometheus = {
      config = {
        services.prometheus.enable = true;
        services.microcosm.ufos = {
          enable = true;
          port = 9090;
        };
      };
      expectAssertion = "port 9090 is claimed by services.microcosm.ufos.port and services.prometheus.port";
    };
    # The virtual host enables nginx, which takes 80 and 443.
    bad-port-taken-by-nginx = {
      config = {
        services.microcosm.ufos = {
          enable = true;
          listenAddress = "::";
          port = 80;
          nginx = {
            enable = true;
            hostName = "ufos.example.com";
            enableACME = false;
            forceSSL = false;
          };
        };
      };
      expectAssertion = "port 80 is claimed by services.microcosm.ufos.port and services.nginx.defaultHTTPListenPort";
    };
    # Real nginx needs sslCertificate (no default) for a forceSSL host
    # without ACME: the module says what to set instead.
    bad-nginx-no-acme-no-cert = {
      config = {
        services.microcosm.ufos = {
          enable = true;
          nginx = {
            enable = true;
            hostName = "ufos.example.com";
            enableACME = false;
          };
        };
      };
      expectAssertion = "services.microcosm.ufos.nginx.forceSSL needs a certificate";
    };
    nginx-own-certificate = {
      config = {
        services.microcosm.ufos = {
          enable = true;
          nginx = {
            enable = true;
            hostName = "ufos.example.com";
            sslCertificate = "/var/lib/certs/ufos.pem";
            sslCertificateKey = "/var/lib/certs/ufos.key";
          };
        };
      };
    };
    bad-nginx-two-certificate-sources = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
          # A certificate useACMEHost can name, as on a real host; without it
          # NixOS' nginx fails on the missing certificate before any assertion.
          certs."example.com" = { };
        };
        services.microcosm.ufos = {
          enable = true;
          nginx = {
            enable = true;
            hostName = "ufos.example.com";
            enableACME = true;
            useACMEHost = "example.com";
          };
        };
      };
      expectAssertion = "choose one certificate source";
    };
    bad-open-firewall-on-loopback = {
      config = {
        services.microcosm.ufos = {
          enable = true;
          openFirewall = true;
        };
      };
      expectAssertion = "services.microcosm.ufos.listenAddress = \"127.0.0.1\" is loopback";
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
