{ pkgs, lib, ... }:
{
  module = "allegedly";
  cases = {
    minimal = {
      config = {
        services.allegedly = {
          enable = true;
          mode = "wrap";
          wrap = "http://127.0.0.1:2582";
        };
      };
    };
    full = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.allegedly = {
          enable = true;
          mode = "mirror";
          wrap = "http://127.0.0.1:2582";
          wrapPgFile = "/run/secrets/allegedly-pg-url";
          wrapPgCert = "/etc/ssl/plc-pg-ca.pem";
          upstream = "https://plc.directory";
          upstreamThrottleMs = 1200;
          listenAddress = "0.0.0.0";
          port = 18000;
          openFirewall = true;
          experimentalWriteUpstream = true;
          environment.RUST_LOG = "allegedly=debug";
          nginx = {
            enable = true;
            hostName = "plc.example.com";
          };
        };
      };
    };
    bad-mirror-without-postgres = {
      config = {
        services.allegedly = {
          enable = true;
          wrap = "http://127.0.0.1:2582";
        };
      };
      expectAssertion = "set services.allegedly.wrapPgFile";
    };
    # A path literal would be copied into the world-readable store.
    bad-secret-as-path-literal = {
      config = {
        services.allegedly = {
          enable = true;
          wrap = "http://127.0.0.1:2582";
          wrapPgFile = ./allegedly-pg-url;
        };
      };
      expectAssertion = "is not of type `null or absolute path not in the Nix store'";
    };
    bad-secret-in-store = {
      config = {
        services.allegedly = {
          enable = true;
          wrap = "http://127.0.0.1:2582";
          wrapPgFile = "/nix/store/00000000000000000000000000000000-pg-url";
        };
      };
      expectAssertion = "is not of type `null or absolute path not in the Nix store'";
    };
    bad-no-wrap = {
      config = {
        services.allegedly = {
          enable = true;
          mode = "wrap";
        };
      };
      expectAssertion = "services.allegedly.wrap is not set";
    };
    bad-nginx-without-hostname = {
      config = {
        services.allegedly = {
          enable = true;
          mode = "wrap";
          wrap = "http://127.0.0.1:2582";
          nginx.enable = true;
        };
      };
      expectAssertion = "also set services.allegedly.nginx.hostName";
    };
  };
  smoke = {
    unit = "allegedly.service";
    case = "minimal";
    # `/` is the hello text; /_health answers 502 while no PLC server is wrapped.
    http = {
      port = 8000;
      path = "/";
      expectStatus = 200;
    };
    needs = [ ];
  };
}
