{ pkgs, lib, ... }:
{
  module = "microcosm-pocket";
  cases = {
    minimal = {
      config = {
        services.microcosm.pocket = {
          enable = true;
          domain = "pocket.example.com";
        };
      };
    };
    full = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.microcosm.pocket = {
          enable = true;
          domain = "pocket.example.com";
          environment.RUST_LOG = "debug";
          nginx = {
            enable = true;
            hostName = "pocket.example.com";
          };
        };
      };
    };
    bad-no-domain = {
      config = {
        services.microcosm.pocket.enable = true;
      };
      expectAssertion = "services.microcosm.pocket.domain is not set";
    };
    bad-nginx-without-hostname = {
      config = {
        services.microcosm.pocket = {
          enable = true;
          domain = "pocket.example.com";
          nginx.enable = true;
        };
      };
      expectAssertion = "also set services.microcosm.pocket.nginx.hostName";
    };
  };
  smoke = {
    unit = "microcosm-pocket.service";
    case = "minimal";
    # Hard-coded 127.0.0.1:3000; the did:web document for `domain`.
    http = {
      port = 3000;
      path = "/.well-known/did.json";
      expectStatus = 200;
    };
    needs = [ ];
  };
}
