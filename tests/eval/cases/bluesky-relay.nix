{ pkgs, lib, ... }:
{
  module = "bluesky-relay";
  cases = {
    minimal = {
      config = {
        services.bluesky.relay.enable = true;
      };
    };
    postgresql = {
      config = {
        services.postgresql.enable = true;
        services.bluesky.relay = {
          enable = true;
          database.type = "postgresql";
        };
      };
    };
    full = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.bluesky.relay = {
          enable = true;
          listenAddress = "0.0.0.0";
          port = 12470;
          openFirewall = true;
          plcUrl = "https://plc.example.com";
          logLevel = "debug";
          adminPasswordFile = "/run/secrets/relay-admin";
          database = {
            type = "postgresql";
            urlFile = "/run/secrets/relay-db-url";
            maxConnections = 20;
          };
          persistDir = "/var/lib/bluesky-relay/playback";
          replayWindow = "24h";
          initialSeqNumber = 1000;
          initialHosts = [
            "pds.example.com"
            "pds2.example.com"
          ];
          limits = {
            hostConcurrency = 10;
            defaultAccountLimit = 1000;
            newHostsPerDay = 5;
          };
          identCacheSize = 100000;
          trustedDomains = [ "*.pds.example.com" ];
          siblingRelays = [ "https://relay2.example.com" ];
          disableRequestCrawl = true;
          allowInsecureHosts = true;
          lenientSyncValidation = true;
          environmentName = "prod";
          environment.GOMAXPROCS = "2";
          metrics = {
            enable = true;
            port = 12471;
          };
          nginx = {
            enable = true;
            hostName = "relay.example.com";
          };
          extraArgs = [ ];
        };
      };
    };
    local-hosts = {
      config = {
        services.bluesky.relay = {
          enable = true;
          localHosts = [ "localhost:2583" ];
        };
      };
    };
    bad-local-hosts-postgresql = {
      config = {
        services.postgresql.enable = true;
        services.bluesky.relay = {
          enable = true;
          database.type = "postgresql";
          localHosts = [ "localhost:2583" ];
        };
      };
      expectAssertion = "set services.bluesky.relay.database.type = \"sqlite\", or leave localHosts empty";
    };
    bad-local-host-not-loopback = {
      config = {
        services.bluesky.relay = {
          enable = true;
          localHosts = [ "pds.example.com" ];
        };
      };
      expectAssertion = "is not of type `string matching the pattern localhost:[0-9]+'";
    };
    bad-url-file-with-sqlite = {
      config = {
        services.bluesky.relay = {
          enable = true;
          database.urlFile = "/run/secrets/relay-db-url";
        };
      };
      expectAssertion = "set database.type = \"postgresql\", or unset urlFile";
    };
    # A database elsewhere: the URL in the store, the password as a credential.
    remote-postgresql-url.config = {
      services.bluesky.relay = {
        enable = true;
        database = {
          type = "postgresql";
          url = "postgres://relay@db.example.com:5432/relay?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem";
          passwordFile = "/run/secrets/relay-db-password";
        };
      };
    };
    bad-password-in-url = {
      config = {
        services.bluesky.relay = {
          enable = true;
          database = {
            type = "postgresql";
            url = "postgres://relay:hunter2@db.example.com/relay";
          };
        };
      };
      expectAssertion = "remove it from the URL and set services.bluesky.relay.database.passwordFile";
    };
    bad-url-and-url-file = {
      config = {
        services.bluesky.relay = {
          enable = true;
          database = {
            type = "postgresql";
            url = "postgres://relay@db.example.com/relay";
            urlFile = "/run/secrets/relay-db-url";
          };
        };
      };
      expectAssertion = "leave services.bluesky.relay.database.urlFile unset (one URL only)";
    };
    bad-password-without-url = {
      config = {
        services.bluesky.relay = {
          enable = true;
          database = {
            type = "postgresql";
            urlFile = "/run/secrets/relay-db-url";
            passwordFile = "/run/secrets/relay-db-password";
          };
        };
      };
      expectAssertion = "passwordFile is only read with services.bluesky.relay.database.url";
    };
    bad-local-postgresql-disabled = {
      config = {
        services.bluesky.relay = {
          enable = true;
          database.type = "postgresql";
        };
      };
      expectAssertion = "set services.postgresql.enable = true";
    };
    bad-admin-password-in-store = {
      config = {
        services.bluesky.relay = {
          enable = true;
          adminPasswordFile = "/nix/store/00000000000000000000000000000000-relay-admin";
        };
      };
      expectAssertion = "is not of type `null or absolute path not in the Nix store'";
    };
  };
  smoke = {
    unit = "bluesky-relay.service";
    case = "minimal";
    # /xrpc/_health answers {"status":"ok"} once the database is open.
    http = {
      port = 2470;
      path = "/xrpc/_health";
      expectStatus = 200;
    };
    needs = [ ];
  };
}
