{ pkgs, lib, ... }:
{
  module = "blacksky-relay";
  cases = {
    minimal = {
      config = {
        services.blacksky.relay.enable = true;
      };
    };
    full = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.blacksky.relay = {
          enable = true;
          adminPasswordFile = "/run/secrets/rsky-relay-admin";
          lenientValidation = false;
          discoveryUpstreams = [ "relay.example.com" ];
          tls = {
            certificateFile = "/run/secrets/relay.crt";
            keyFile = "/run/secrets/relay.key";
          };
          metrics.enable = true;
          environment.RUST_LOG = "rsky_relay=debug";
          nginx = {
            enable = true;
            hostName = "relay.example.com";
          };
        };
      };
    };
    # What the smoke run starts: no network here, so no discovery (it reaches
    # public HTTPS hosts); the PLC seed comes from the smoke's setup.
    offline = {
      config = {
        services.blacksky.relay = {
          enable = true;
          discoveryUpstreams = [ ];
          metrics.enable = true;
        };
      };
    };
    bad-tls-half = {
      config = {
        services.blacksky.relay = {
          enable = true;
          tls.certificateFile = "/run/secrets/relay.crt";
        };
      };
      expectAssertion = "services.blacksky.relay.tls.certificateFile and services.blacksky.relay.tls.keyFile go together";
    };
    bad-port-clash = {
      config = {
        services.blacksky.relay.enable = true;
        services.nginx = {
          enable = true;
          defaultHTTPListenPort = 9000;
        };
      };
      expectAssertion = "9000";
    };
  };
  smoke = {
    unit = "blacksky-relay.service";
    case = "offline";
    http = {
      port = 9000;
      path = "/_health";
      expectStatus = 200;
    };
    needs = [ ];
    # No network in the container: the first page of plc.directory's export,
    # which the pre-start would fetch, is one operation written here with
    # upstream's own crawler functions (requests is only for downloading).
    setup = ''
      set -e
      mkdir -p /var/lib/blacksky-relay
      cd /var/lib/blacksky-relay
      python3 - /nix/store/*-rsky-relay*/share/rsky-relay <<'EOF'
      import sys, types
      sys.modules["requests"] = types.ModuleType("requests")
      sys.path.insert(0, sys.argv[1])
      import crawler
      crawler.insert_operations(crawler.create_database(), [{
          "did": "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
          "cid": "bafyreihmuvr3frdvd6vmdhucih277prdcfcezf67lasg5oekxoimnunjoq",
          "createdAt": "2022-11-17T00:35:16.391Z",
          "nullified": False,
          "operation": {"type": "plc_operation", "prev": None, "sig": "test",
                        "services": {"atproto_pds": {"type": "AtprotoPersonalDataServer", "endpoint": "https://pds.example.com"}},
                        "alsoKnownAs": ["at://example.com"], "rotationKeys": [],
                        "verificationMethods": {"atproto": "did:key:zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF"}},
      }])
      EOF
      chown -R blacksky-relay:blacksky-relay /var/lib/blacksky-relay
      chmod 0700 /var/lib/blacksky-relay
    '';
  };
}
