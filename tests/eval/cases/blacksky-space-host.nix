{ pkgs, lib, ... }:
let
  required = {
    enable = true;
    authorityDid = "did:plc:ar7c4by46qjdydhdevvrndac";
    signingKeyFile = "/run/secrets/space-signing-key";
  };
in
{
  module = "blacksky-space-host";
  cases = {
    minimal = {
      config = {
        services.blacksky.space-host = required;
      };
    };
    full = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.blacksky.space-host = required // {
          policy = "managing-app";
          managingApp = "did:web:app.example.com#blacksky_app";
          members = [ "did:plc:ewvi7nxzyoun6zhxrhs64oiz" ];
          plcUrl = "https://plc.example.com";
          environment.RUST_LOG = "rsky_space_host=debug";
          nginx = {
            enable = true;
            hostName = "space.example.com";
          };
        };
      };
    };
    bad-no-authority = {
      config = {
        services.blacksky.space-host = removeAttrs required [ "authorityDid" ];
      };
      expectAssertion = "services.blacksky.space-host.authorityDid is not set";
    };
    bad-no-signing-key = {
      config = {
        services.blacksky.space-host = removeAttrs required [ "signingKeyFile" ];
      };
      expectAssertion = "services.blacksky.space-host.signingKeyFile is not set";
    };
    bad-managing-app-missing = {
      config = {
        services.blacksky.space-host = required // {
          policy = "managing-app";
        };
      };
      expectAssertion = "set services.blacksky.space-host.managingApp";
    };
    bad-signing-key-in-store = {
      config = {
        services.blacksky.space-host = required // {
          signingKeyFile = "/nix/store/00000000000000000000000000000000-space-signing-key";
        };
      };
      expectAssertion = "is not of type `null or absolute path not in the Nix store'";
    };
  };
  smoke = {
    unit = "blacksky-space-host.service";
    case = "minimal";
    http = {
      port = 3600;
      path = "/xrpc/_health";
      expectStatus = 200;
    };
    needs = [ ];
    # A test key: 32 bytes of hex, a valid secp256k1 secret.
    files."/run/secrets/space-signing-key" = "4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";
  };
}
