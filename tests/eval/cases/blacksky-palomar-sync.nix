{ pkgs, lib, ... }:
let
  required = {
    enable = true;
    database.name = "bsky";
  };
in
{
  module = "blacksky-palomar-sync";
  cases = {
    minimal = {
      config = {
        services.blacksky.palomar-sync = required;
      };
    };
    full = {
      config = {
        services.blacksky.palomar-sync = required // {
          startAt = [
            "*-*-* 04:00:00"
            "*-*-* 16:00:00"
          ];
          opensearch.urlFile = "/run/secrets/opensearch-url";
          profileIndex = "profiles";
          batchSize = 1000;
          pagerank = {
            enable = true;
            program = "/run/current-system/sw/bin/pagerank";
          };
          environment.RUST_LOG = "debug";
        };
      };
    };
    # Beside wintermute, the job reads wintermute's local database by default.
    with-wintermute = {
      withModules = [ "blacksky-wintermute" ];
      config = {
        services.blacksky.wintermute = {
          enable = true;
          relayHosts = [ "bsky.network" ];
        };
        services.blacksky.palomar-sync.enable = true;
      };
    };
    external-db = {
      config = {
        services.blacksky.palomar-sync = {
          enable = true;
          environmentFiles = [ "/run/secrets/palomar-sync-env" ];
          opensearch.url = "https://search.internal:9200";
        };
      };
    };
    bad-no-database = {
      config = {
        services.blacksky.palomar-sync.enable = true;
      };
      expectAssertion = "services.blacksky.palomar-sync.database.name is null";
    };
    bad-url-credentials = {
      config = {
        services.blacksky.palomar-sync = required // {
          opensearch.url = "https://admin:secret@search.internal:9200";
        };
      };
      expectAssertion = "services.blacksky.palomar-sync.opensearch.url carries credentials";
    };
    bad-pagerank-no-program = {
      config = {
        services.blacksky.palomar-sync = required // {
          pagerank.enable = true;
        };
      };
      expectAssertion = "services.blacksky.palomar-sync.pagerank.enable needs";
    };
  };
}
