{ pkgs, lib, ... }:
let
  required = {
    enable = true;
    relayHosts = [ "bsky.network" ];
  };
in
{
  module = "blacksky-wintermute";
  cases = {
    minimal = {
      config = {
        services.blacksky.wintermute = required;
      };
    };
    full = {
      config = {
        services.blacksky.wintermute = {
          enable = true;
          relayHosts = [
            "relay1.us-east.bsky.network"
            "relay1.us-west.bsky.network"
          ];
          labelerHosts = [ "mod.bsky.app" ];
          port = 9130;
          openFirewall = true;
          initialCursor = 0;
          recordCollections = [
            "app.bsky."
            "chat.bsky."
          ];
          cacheSizeGB = 8;
          writeBufferSizeGB = 1;
          dbPoolSize = 10;
          environment.INDEXER_WORKERS = "8";
          upgradeSnapshots.enable = true;
        };
      };
    };
    external-db = {
      config = {
        services.blacksky.wintermute = required // {
          database.createLocally = false;
          environmentFiles = [ "/run/secrets/wintermute-env" ];
        };
      };
    };
    bad-no-relay = {
      config = {
        services.blacksky.wintermute.enable = true;
      };
      expectAssertion = "services.blacksky.wintermute.relayHosts is empty";
    };
    bad-external-db-no-env = {
      config = {
        services.blacksky.wintermute = required // {
          database.createLocally = false;
        };
      };
      expectAssertion = "services.blacksky.wintermute.database.createLocally is false";
    };
    bad-port-clash = {
      config = {
        services.blacksky.wintermute = required;
        services.nginx = {
          enable = true;
          defaultHTTPListenPort = 9120;
        };
      };
      expectAssertion = "9120";
    };
  };
}
