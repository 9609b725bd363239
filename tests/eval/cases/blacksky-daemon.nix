{ pkgs, lib, ... }:
let
  space = "at://did:plc:ar7c4by46qjdydhdevvrndac/space/community.blacksky.feed/main";
  required = {
    enable = true;
    spaceUri = space;
    spaceHostUrl = "https://space.example.com";
    serviceIdentity = "did:web:syncer.example.com";
    pdsUrl = "https://pds.example.com";
    pdsAccessTokenFile = "/run/secrets/syncer-access-token";
  };
in
{
  module = "blacksky-daemon";
  cases = {
    minimal = {
      config = {
        services.blacksky.daemon = required;
      };
    };
    full = {
      config = {
        services.blacksky.daemon = required // {
          repoHostUrl = "https://repos.example.com";
          notifyEndpoint = "https://syncer.example.com";
          sweepInterval = 60;
          listenAddress = "::";
          openFirewall = true;
          environment.RUST_LOG = "rsky_daemon=debug";
        };
      };
    };
    # With the space host on the same machine: its URL is the default, and a
    # static credential stands in for minting (no PDS needed).
    with-space-host = {
      withModules = [ "blacksky-space-host" ];
      config = {
        services.blacksky.space-host = {
          enable = true;
          authorityDid = "did:plc:ar7c4by46qjdydhdevvrndac";
          signingKeyFile = "/run/secrets/space-signing-key";
        };
        services.blacksky.daemon = {
          enable = true;
          spaceUri = space;
          serviceIdentity = "did:web:syncer.example.com";
          staticCredentialFile = "/run/secrets/space-credential";
        };
      };
    };
    # What the smoke run starts: upstream's development mode against a space
    # host that is not there; the daemon keeps retrying and serves its
    # notify listener meanwhile.
    dev = {
      config = {
        services.blacksky.daemon = {
          enable = true;
          spaceUri = space;
          spaceHostUrl = "http://127.0.0.1:3600";
          serviceIdentity = "did:web:syncer.example.com";
          staticCredentialFile = "/run/secrets/space-credential";
        };
      };
    };
    bad-no-space-uri = {
      config = {
        services.blacksky.daemon = removeAttrs required [ "spaceUri" ];
      };
      expectAssertion = "services.blacksky.daemon.spaceUri is not set";
    };
    bad-space-uri-shape = {
      config = {
        services.blacksky.daemon = required // {
          spaceUri = "did:plc:ar7c4by46qjdydhdevvrndac";
        };
      };
      expectAssertion = "is not of type `null or string matching the pattern";
    };
    bad-no-space-host = {
      config = {
        services.blacksky.daemon = removeAttrs required [ "spaceHostUrl" ];
      };
      expectAssertion = "services.blacksky.daemon.spaceHostUrl is not set";
    };
    bad-no-identity = {
      config = {
        services.blacksky.daemon = removeAttrs required [ "serviceIdentity" ];
      };
      expectAssertion = "services.blacksky.daemon.serviceIdentity is not set";
    };
    bad-no-credential-source = {
      config = {
        services.blacksky.daemon = removeAttrs required [ "pdsAccessTokenFile" ];
      };
      expectAssertion = "set pdsUrl and pdsAccessTokenFile";
    };
    bad-open-loopback = {
      config = {
        services.blacksky.daemon = required // {
          openFirewall = true;
        };
      };
      expectAssertion = "services.blacksky.daemon.openFirewall opens port 8055";
    };
  };
  # The daemon's own notify listener must answer (an unsigned notification is
  # refused with 401) while it retries its absent space host, and it must stay
  # up. (A case with withModules cannot be the smoke case: its space-host unit
  # would be rendered twice, by this module and by blacksky-space-host.)
  smoke = {
    unit = "blacksky-daemon.service";
    case = "dev";
    command = ''
      test "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -d '{"space":"at://x/space/t/main","repo":"did:plc:x","rev":"x"}' \
        http://127.0.0.1:8055/xrpc/com.atproto.space.notifyWrite)" = 401
    '';
    needs = [ ];
    files."/run/secrets/space-credential" = "test-credential";
  };
}
