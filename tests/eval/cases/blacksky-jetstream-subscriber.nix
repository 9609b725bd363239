{ pkgs, lib, ... }:
{
  module = "blacksky-jetstream-subscriber";
  cases = {
    minimal = {
      config = {
        services.blacksky.jetstream-subscriber = {
          enable = true;
          queueEndpoint = "https://feeds.example.com";
          apiKeyFile = "/run/secrets/rsky-api-key";
        };
      };
    };
    full = {
      config = {
        services.blacksky.jetstream-subscriber = {
          enable = true;
          queueEndpoint = "https://feeds.example.com";
          serverEndpoint = "wss://jetstream2.us-east.bsky.network";
          wantedCollections = [
            "app.bsky.feed.post"
            "app.bsky.feed.like"
          ];
          apiKeyFile = "/run/secrets/rsky-api-key";
        };
      };
    };
    bad-no-queue-endpoint = {
      config = {
        services.blacksky.jetstream-subscriber = {
          enable = true;
          apiKeyFile = "/run/secrets/rsky-api-key";
        };
      };
      expectAssertion = "services.blacksky.jetstream-subscriber.queueEndpoint is not set";
    };
    bad-no-api-key = {
      config = {
        services.blacksky.jetstream-subscriber = {
          enable = true;
          queueEndpoint = "https://feeds.example.com";
        };
      };
      expectAssertion = "services.blacksky.jetstream-subscriber.apiKeyFile is not set";
    };
    bad-extra-args = {
      config = {
        services.blacksky.jetstream-subscriber = {
          enable = true;
          queueEndpoint = "https://feeds.example.com";
          apiKeyFile = "/run/secrets/rsky-api-key";
          extraArgs = [ "--verbose" ];
        };
      };
      expectAssertion = "rsky-jetstream-subscriber takes no arguments";
    };
  };
  smoke = {
    unit = "blacksky-jetstream-subscriber.service";
    case = "minimal";
    # No listener: healthy is staying up (the settle time) with the key read.
    command = "systemctl is-active blacksky-jetstream-subscriber.service";
    needs = [ ];
  };
}
