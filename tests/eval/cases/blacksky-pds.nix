{ pkgs, lib, ... }:
{
  module = "blacksky-pds";
  cases = {
    minimal = {
      config = {
        services.blacksky.pds = {
          enable = true;
          hostname = "pds.example.com";
        };
      };
    };
    full = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.blacksky.pds = {
          workers = 64;
          enable = true;
          hostname = "pds.example.com";
          serviceDid = "did:web:pds.example.com";
          serviceHandleDomains = [ ".example.com" ];
          crawlers = [ "https://bsky.network" ];
          inviteRequired = false;
          jwtKeyFile = "/run/secrets/pds-jwt";
          repoSigningKeyFile = "/run/secrets/pds-repo";
          plcRotationKeyFile = "/run/secrets/pds-plc";
          dpopSecretFile = "/run/secrets/pds-dpop";
          adminPasswordFile = "/run/secrets/pds-admin";
          mailgunApiKeyFile = "/run/secrets/mailgun";
          blobstore.s3 = {
            bucket = "pds-blobs";
            endpoint = "https://s3.eu-central-1.amazonaws.com";
            region = "eu-central-1";
            accessKeyIdFile = "/run/secrets/s3-id";
            secretAccessKeyFile = "/run/secrets/s3-secret";
          };
          environment.PDS_CONTACT_EMAIL_ADDRESS = "admin@example.com";
          nginx = {
            enable = true;
            hostName = "pds.example.com";
          };
        };
      };
    };
    bad-no-hostname = {
      config = {
        services.blacksky.pds.enable = true;
      };
      expectAssertion = "services.blacksky.pds.hostname is not set";
    };
    bad-s3-without-credentials = {
      config = {
        services.blacksky.pds = {
          enable = true;
          hostname = "pds.example.com";
          blobstore.s3.bucket = "pds-blobs";
        };
      };
      expectAssertion = "also set services.blacksky.pds.blobstore.s3.endpoint";
    };
    bad-extra-args = {
      config = {
        services.blacksky.pds = {
          enable = true;
          hostname = "pds.example.com";
          extraArgs = [ "--port" ];
        };
      };
      expectAssertion = "rsky-pds takes no arguments";
    };
    bad-firewall-on-loopback = {
      config = {
        services.blacksky.pds = {
          enable = true;
          hostname = "pds.example.com";
          openFirewall = true;
        };
      };
      expectAssertion = "services.blacksky.pds.openFirewall opens port 2584";
    };
  };
  smoke = {
    unit = "blacksky-pds.service";
    case = "minimal";
    # describeServer answers from configuration alone (no account needed).
    http = {
      port = 2584;
      path = "/xrpc/com.atproto.server.describeServer";
      expectStatus = 200;
    };
    needs = [ ];
  };
}
