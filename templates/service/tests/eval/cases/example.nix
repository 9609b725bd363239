# Template: evaluation cases for modules/example.nix, read by `atnix eval`
# (and by `atnix render`, `atnix harden` and `atnix smoke`).
{ pkgs, lib, ... }:
{
  module = "example";

  cases = {
    minimal = {
      config = {
        services.example.enable = true;
      };
    };

    full = {
      config = {
        services.example = {
          enable = true;
          listenAddress = "0.0.0.0";
          port = 8443;
          openFirewall = true;
          settings.log_format = "json";
          environment.RUST_LOG = "debug";
          environmentFiles = [ "/run/secrets/example.env" ];
        };
      };
    };

    bad-open-firewall-on-loopback = {
      config = {
        services.example = {
          enable = true;
          openFirewall = true;
        };
      };
      expectAssertion = "services.example.openFirewall opens port 8080";
    };

    bad-nginx-without-certificate = {
      config = {
        services.example = {
          enable = true;
          nginx = {
            enable = true;
            hostName = "example.com";
            enableACME = false;
          };
        };
      };
      expectAssertion = "services.example.nginx.forceSSL needs a certificate";
    };
  };

  # How `atnix smoke` tests the service under real systemd.
  smoke = {
    unit = "example.service";
    case = "minimal";
    http = {
      port = 8080;
      path = "/xrpc/_health";
      expectStatus = 200;
    };
    needs = [ ];
  };
}
