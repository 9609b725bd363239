{ pkgs, lib, ... }:
{
  module = "bluesky-pds";
  cases = {
    minimal = {
      config.services.bluesky.pds = {
        enable = true;
        hostname = "pds.example.com";
      };
    };
    full = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.bluesky.pds = {
          enable = true;
          hostname = "pds.example.com";
          serviceHandleDomains = [
            ".pds.example.com"
            ".example.net"
          ];
          port = 2600;
          didPlcUrl = "https://plc.directory";
          crawlers = [
            "https://bsky.network"
            "https://relay.example.org"
          ];
          invites = {
            required = true;
            interval = 604800000;
          };
          email = {
            fromAddress = "pds@example.com";
            smtpUrlFile = "/run/secrets/pds-smtp-url";
            moderationAddress = "mod@example.com";
            moderationSmtpUrlFile = "/run/secrets/pds-smtp-url";
          };
          blobstore = {
            type = "s3";
            s3 = {
              bucket = "pds-blobs";
              region = "eu-central-1";
              endpoint = "https://s3.example.com";
              forcePathStyle = true;
              accessKeyIdFile = "/run/secrets/pds-s3-id";
              secretAccessKeyFile = "/run/secrets/pds-s3-secret";
            };
          };
          rateLimits = {
            enable = true;
            bypassIps = [ "10.0.0.0/8" ];
            bypassKeyFile = "/run/secrets/pds-ratelimit-bypass";
          };
          jwtSecretFile = "/run/secrets/pds-jwt";
          adminPasswordFile = "/run/secrets/pds-admin";
          plcRotationKeyFile = "/run/secrets/pds-plc-key";
          dpopSecretFile = "/run/secrets/pds-dpop";
          settings = {
            PDS_CONTACT_EMAIL_ADDRESS = "admin@example.com";
            PDS_BLOB_UPLOAD_LIMIT = 52428800;
            PDS_DEV_MODE = false;
          };
          environmentFiles = [ "/run/secrets/pds-extra.env" ];
          backup = {
            enable = true;
            repositoryFile = "/run/secrets/pds-restic-repository";
            passwordFile = "/run/secrets/pds-restic-password";
          };
          proxy = {
            type = "nginx";
            acme = {
              dnsProvider = "cloudflare";
              credentialsFile = "/run/secrets/acme-cloudflare.env";
            };
          };
        };
      };
    };
    # What `atnix smoke` runs (tests/pds/smoke-check.sh): a PLC stand-in on
    # loopback, since the container has no network. Not `localhost`: that
    # makes the public URL http://, which the OAuth provider refuses outside
    # PDS_DEV_MODE.
    smoke = {
      config.services.bluesky.pds = {
        enable = true;
        hostname = "pds.test";
        didPlcUrl = "http://127.0.0.1:2582";
        invites.required = false;
        crawlers = [ ];
        # smoke-check.sh writes these two files, then backs up and restores.
        backup = {
          enable = true;
          repositoryFile = "/run/pds-smoke/restic-repository";
          passwordFile = "/run/pds-smoke/restic-password";
        };
      };
    };
    bad-backup-without-repository = {
      config.services.bluesky.pds = {
        enable = true;
        hostname = "pds.example.com";
        backup.enable = true;
      };
      expectAssertion = "also set services.bluesky.pds.backup.repositoryFile and services.bluesky.pds.backup.passwordFile";
    };
    caddy = {
      config.services.bluesky.pds = {
        enable = true;
        hostname = "pds.example.com";
        serviceHandleDomains = [
          ".pds.example.com"
          ".example.net"
        ];
        proxy.type = "caddy";
      };
    };
    bad-caddy-with-dns01 = {
      config.services.bluesky.pds = {
        enable = true;
        hostname = "pds.example.com";
        proxy = {
          type = "caddy";
          acme = {
            dnsProvider = "cloudflare";
            credentialsFile = "/run/secrets/acme-cloudflare.env";
          };
        };
      };
      expectAssertion = "gets certificates on demand";
    };
    bad-no-hostname = {
      config.services.bluesky.pds.enable = true;
      expectAssertion = "services.bluesky.pds.hostname is not set";
    };
    bad-email-without-sender = {
      config.services.bluesky.pds = {
        enable = true;
        hostname = "pds.example.com";
        email.smtpUrlFile = "/run/secrets/pds-smtp-url";
      };
      expectAssertion = "set both email.fromAddress (the sender) and email.smtpUrlFile";
    };
    bad-s3-without-credentials = {
      config.services.bluesky.pds = {
        enable = true;
        hostname = "pds.example.com";
        blobstore = {
          type = "s3";
          s3.bucket = "pds-blobs";
        };
      };
      expectAssertion = "blobstore.s3.accessKeyIdFile and blobstore.s3.secretAccessKeyFile";
    };
    bad-nginx-handles-without-dns01 = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.bluesky.pds = {
          enable = true;
          hostname = "pds.example.com";
          proxy.type = "nginx";
        };
      };
      expectAssertion = "which need a wildcard certificate: set services.bluesky.pds.proxy.acme.dnsProvider";
    };
    bad-dns-provider-without-credentials = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.bluesky.pds = {
          enable = true;
          hostname = "pds.example.com";
          proxy = {
            type = "nginx";
            acme.dnsProvider = "cloudflare";
          };
        };
      };
      expectAssertion = "also set proxy.acme.credentialsFile";
    };
    bad-both-pds-modules-one-port = {
      config.services = {
        bluesky.pds = {
          enable = true;
          hostname = "pds.example.com";
          port = 3000;
        };
        bluesky-pds = {
          enable = true;
          settings.PDS_HOSTNAME = "pds.example.com";
        };
      };
      expectAssertion = "are both enabled on one port";
    };
    bad-secret-in-store = {
      config.services.bluesky.pds = {
        enable = true;
        hostname = "pds.example.com";
        jwtSecretFile = "/nix/store/00000000000000000000000000000000-jwt";
      };
      expectAssertion = "is not of type `null or absolute path not in the Nix store'";
    };
  };
  smoke = {
    unit = "pds.service";
    case = "smoke";
    # The check script ships inside the local stand-in for the bluesky-pds
    # store object (tests/pds/smoke-bins.sh); it starts a PLC stand-in and the
    # exporter itself, then creates an account and a post, restarts the unit
    # and probes it.
    command = "bash /nix/store/*-pds-0.4.208/share/atnix-smoke/check.sh";
    needs = [ ];
  };
}
