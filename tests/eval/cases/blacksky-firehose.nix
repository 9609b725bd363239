{ pkgs, lib, ... }:
{
  module = "blacksky-firehose";
  cases = {
    minimal = {
      config = {
        services.blacksky.firehose = {
          enable = true;
          queueEndpoint = "https://feeds.example.com";
          apiKeyFile = "/run/secrets/rsky-api-key";
        };
      };
    };
    full = {
      config = {
        services.blacksky.firehose = {
          enable = true;
          queueEndpoint = "https://feeds.example.com";
          subscriptionPath = "wss://bsky.network";
          subscriptionEndpoint = "com.atproto.label.subscribeLabels";
          cursor = "1000";
          apiKeyFile = "/run/secrets/rsky-api-key";
        };
      };
    };
    bad-no-queue-endpoint = {
      config = {
        services.blacksky.firehose = {
          enable = true;
          apiKeyFile = "/run/secrets/rsky-api-key";
        };
      };
      expectAssertion = "services.blacksky.firehose.queueEndpoint is not set";
    };
    bad-no-api-key = {
      config = {
        services.blacksky.firehose = {
          enable = true;
          queueEndpoint = "https://feeds.example.com";
        };
      };
      expectAssertion = "services.blacksky.firehose.apiKeyFile is not set";
    };
  };
  smoke = {
    unit = "blacksky-firehose.service";
    case = "minimal";
    # No listener: healthy is staying up (the settle time) with the key read.
    command = "systemctl is-active blacksky-firehose.service";
    needs = [ ];
  };
}
