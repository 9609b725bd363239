{ pkgs, lib, ... }:
let
  required = {
    enable = true;
    hostname = "video.example.com";
    bunny = {
      libraryId = "123456";
      pullZone = "vz-12345678-abc";
      apiKeyFile = "/run/secrets/bunny-api-key";
      tokenKeyFile = "/run/secrets/bunny-token-key";
    };
  };
in
{
  module = "blacksky-video";
  cases = {
    minimal = {
      config = {
        services.blacksky.video = required;
      };
    };
    full = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.blacksky.video = required // {
          serviceDid = "did:web:video.example.com";
          signingKeyFile = "/run/secrets/video-signing-key.pem";
          playlistRedirectMaxAge = 60;
          thumbnailRedirectMaxAge = 60;
          maxVideoSize = 200000000;
          maxVideoDuration = 180;
          dailyVideoLimit = 10;
          dailyByteLimit = 5000000000;
          nginx = {
            enable = true;
            hostName = "video.example.com";
          };
        };
      };
    };
    no-token-auth = {
      config = {
        services.blacksky.video = required // {
          bunny = removeAttrs required.bunny [ "tokenKeyFile" ] // {
            tokenAuth = false;
          };
          database.createLocally = false;
          environmentFiles = [ "/run/secrets/video-env" ];
        };
      };
    };
    bad-no-hostname = {
      config = {
        services.blacksky.video = removeAttrs required [ "hostname" ];
      };
      expectAssertion = "services.blacksky.video.hostname is not set";
    };
    bad-no-bunny = {
      config = {
        services.blacksky.video = removeAttrs required [ "bunny" ];
      };
      expectAssertion = "bunny.apiKeyFile must all be set";
    };
    bad-no-token-key = {
      config = {
        services.blacksky.video = required // {
          bunny = removeAttrs required.bunny [ "tokenKeyFile" ];
        };
      };
      expectAssertion = "services.blacksky.video.bunny.tokenKeyFile is not set";
    };
    bad-extra-args = {
      config = {
        services.blacksky.video = required // {
          extraArgs = [ "--port" ];
        };
      };
      expectAssertion = "rsky-video takes no arguments";
    };
    bad-external-db-no-env = {
      config = {
        services.blacksky.video = required // {
          database.createLocally = false;
        };
      };
      expectAssertion = "services.blacksky.video.database.createLocally is false";
    };
  };
}
