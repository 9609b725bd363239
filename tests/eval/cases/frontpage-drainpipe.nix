{ pkgs, lib, ... }:
{
  module = "frontpage-drainpipe";
  cases = {
    minimal = {
      config = {
        services.frontpage.drainpipe = {
          enable = true;
          consumerUrl = "https://frontpage.example.com/api/receive_hook";
          consumerSecretFile = "/run/secrets/drainpipe-consumer-secret";
        };
      };
    };
    full = {
      config = {
        services.frontpage.drainpipe = {
          enable = true;
          consumerUrl = "http://127.0.0.1:3000/api/receive_hook";
          consumerSecretFile = "/run/secrets/drainpipe-consumer-secret";
          # Nothing listens there in the smoke container: drainpipe retries
          # with backoff and stays up.
          jetstreamUrl = "ws://127.0.0.1:6008/subscribe";
          environment.RUST_LOG = "debug";
          metrics = {
            enable = true;
            listenAddress = "127.0.0.1";
            port = 9898;
          };
        };
        # The secret the smoke container's unit reads as its credential.
        systemd.tmpfiles.rules = [
          "f /run/secrets/drainpipe-consumer-secret 0400 root root - smoke-secret"
        ];
      };
    };
    bad-no-consumer-url = {
      config = {
        services.frontpage.drainpipe = {
          enable = true;
          consumerSecretFile = "/run/secrets/drainpipe-consumer-secret";
        };
      };
      expectAssertion = "services.frontpage.drainpipe.consumerUrl is not set";
    };
    bad-no-consumer-secret = {
      config = {
        services.frontpage.drainpipe = {
          enable = true;
          consumerUrl = "https://frontpage.example.com/api/receive_hook";
        };
      };
      expectAssertion = "services.frontpage.drainpipe.consumerSecretFile is not set";
    };
    bad-extra-args = {
      config = {
        services.frontpage.drainpipe = {
          enable = true;
          consumerUrl = "https://frontpage.example.com/api/receive_hook";
          consumerSecretFile = "/run/secrets/drainpipe-consumer-secret";
          extraArgs = [ "--verbose" ];
        };
      };
      expectAssertion = "services.frontpage.drainpipe.extraArgs";
    };
  };
  smoke = {
    unit = "frontpage-drainpipe.service";
    case = "full";
    # The Prometheus listener answers as soon as drainpipe has started, before
    # it reaches a jetstream (none in the container: it keeps retrying).
    http = {
      port = 9898;
      path = "/metrics";
      expectStatus = 200;
    };
    needs = [ ];
  };
}
