# Stub of services.nginx (nixos/modules/services/web-servers/nginx/default.nix,
# vhost-options.nix, location-options.nix) and security.acme
# (nixos/modules/security/acme/default.nix), nixpkgs @
# 013635633ffe11f70df1d639f563f21c42c1f778: the options, the certs nginx
# requests for enableACME hosts, and the assertions both modules make.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;
  cfg = config.services.nginx;
  acme = config.security.acme;
  bool = default: description: mkOption {
    type = types.bool;
    inherit default description;
  };
  nullStr = description: mkOption {
    type = types.nullOr types.str;
    default = null;
    inherit description;
  };
  locationOpts = {
    options = {
      basicAuthFile = mkOption {
        type = types.nullOr types.path;
        default = null;
        description = "Basic Auth password file for this location.";
      };
      proxyPass = nullStr "Adds proxy_pass directive and sets recommended proxy headers if recommendedProxySettings is enabled.";
      proxyWebsockets = bool false "Whether to support proxying websocket connections with HTTP/1.1.";
      index = nullStr "Adds index directive.";
      tryFiles = nullStr "Adds try_files directive.";
      root = mkOption {
        type = types.nullOr types.path;
        default = null;
        description = "Root directory for requests.";
      };
      alias = mkOption {
        type = types.nullOr types.path;
        default = null;
        description = "Alias directory for requests.";
      };
      return = mkOption {
        type = with types; nullOr (oneOf [ str int ]);
        default = null;
        description = "Adds a return directive.";
      };
      extraConfig = mkOption {
        type = types.lines;
        default = "";
        description = "These lines go to the end of the location verbatim.";
      };
      priority = mkOption {
        type = types.int;
        default = 1000;
        description = "Order of this location block.";
      };
      recommendedProxySettings = bool cfg.recommendedProxySettings "Enable recommended proxy settings.";
    };
  };
  vhostOpts =
    { name, ... }:
    {
      options = {
        serverName = mkOption {
          type = types.nullOr types.str;
          default = null;
          description = "Name of this virtual host. Defaults to the attribute name.";
        };
        serverAliases = mkOption {
          type = types.listOf types.str;
          default = [ ];
          description = "Additional names of virtual hosts served by this virtual host configuration.";
        };
        listen = mkOption {
          type = types.listOf (types.submodule {
            options = {
              addr = mkOption {
                type = types.str;
                description = "Listen address.";
              };
              port = mkOption {
                type = types.nullOr types.port;
                default = null;
                description = "Port number to listen on.";
              };
              ssl = bool false "Enable SSL.";
              proxyProtocol = bool false "Enable PROXY protocol.";
              extraParameters = mkOption {
                type = types.listOf types.str;
                default = [ ];
                description = "Extra parameters of this listen directive.";
              };
            };
          });
          default = [ ];
          description = "Listen addresses and ports for this virtual host.";
        };
        listenAddresses = mkOption {
          type = types.listOf types.str;
          default = [ ];
          description = "Listen addresses for this virtual host.";
        };
        enableACME = bool false "Whether to ask Let's Encrypt to sign a certificate for this vhost.";
        useACMEHost = nullStr "A host of an existing Let's Encrypt certificate to use.";
        acmeRoot = mkOption {
          type = types.nullOr types.str;
          default = "/var/lib/acme/acme-challenge";
          description = "Directory for the ACME challenge, or null for DNS-01.";
        };
        addSSL = bool false "Whether to enable HTTPS in addition to plain HTTP.";
        onlySSL = bool false "Whether to enable HTTPS and reject plain HTTP connections.";
        forceSSL = bool false "Whether to add a separate nginx server block that redirects all HTTP to HTTPS.";
        rejectSSL = bool false "Whether to listen for and reject all HTTPS connections to this vhost.";
        kTLS = bool false "Whether to enable kTLS support.";
        http2 = bool true "Whether to enable HTTP 2.";
        http3 = bool true "Whether to enable the HTTP/3 protocol.";
        quic = bool false "Whether to enable the QUIC transport protocol.";
        sslCertificate = mkOption {
          type = types.path;
          description = "Path to server SSL certificate.";
        };
        sslCertificateKey = mkOption {
          type = types.path;
          description = "Path to server SSL certificate key.";
        };
        root = mkOption {
          type = types.nullOr types.path;
          default = null;
          description = "The path of the web root directory.";
        };
        default = bool false "Makes this vhost the default.";
        extraConfig = mkOption {
          type = types.lines;
          default = "";
          description = "These lines go to the end of the vhost verbatim.";
        };
        globalRedirect = nullStr "Redirects all requests to this host.";
        locations = mkOption {
          type = types.attrsOf (types.submodule locationOpts);
          default = { };
          description = "Declarative location config.";
        };
      };
    };
  acmeCertOpts =
    { name, ... }:
    {
      options = {
        domain = mkOption {
          type = types.str;
          default = name;
          description = "Domain to fetch certificate for.";
        };
        extraDomainNames = mkOption {
          type = types.listOf types.str;
          default = [ ];
          description = "A list of extra domain names included in the certificate.";
        };
        email = mkOption {
          type = types.nullOr types.str;
          default = acme.defaults.email;
          description = "Email address for account creation and correspondence from the CA.";
        };
        webroot = mkOption {
          type = types.nullOr types.str;
          default = acme.defaults.webroot;
          description = "Where the webroot of the HTTP vhost is located.";
        };
        dnsProvider = mkOption {
          type = types.nullOr types.str;
          default = acme.defaults.dnsProvider;
          description = "DNS provider to use for DNS-01 validation.";
        };
        environmentFile = mkOption {
          type = types.nullOr types.path;
          default = null;
          description = "Path to an EnvironmentFile for the cert's service.";
        };
        group = mkOption {
          type = types.str;
          default = acme.defaults.group;
          description = "Group running the ACME client.";
        };
        reloadServices = mkOption {
          type = types.listOf types.str;
          default = [ ];
          description = "The list of systemd services to reload when the certificate is renewed.";
        };
        postRun = mkOption {
          type = types.lines;
          default = "";
          description = "Commands to run after new certificates go live.";
        };
      };
    };
in
{
  options.services.nginx = {
    enable = lib.mkEnableOption "Nginx Web Server";
    package = mkOption {
      type = types.package;
      default = pkgs.nginx;
      description = "Nginx package to use.";
    };
    user = mkOption {
      type = types.str;
      default = "nginx";
      description = "User account under which nginx runs.";
    };
    group = mkOption {
      type = types.str;
      default = "nginx";
      description = "Group account under which nginx runs.";
    };
    recommendedProxySettings = bool false "Whether to enable recommended proxy settings.";
    recommendedTlsSettings = bool false "Whether to enable recommended TLS settings.";
    recommendedGzipSettings = bool false "Whether to enable recommended gzip settings.";
    recommendedOptimisation = bool false "Whether to enable recommended optimisation settings.";
    recommendedBrotliSettings = bool false "Whether to enable recommended brotli settings.";
    recommendedZstdSettings = bool false "Whether to enable recommended zstd settings.";
    clientMaxBodySize = mkOption {
      type = types.str;
      default = "10m";
      description = "Set nginx global client_max_body_size.";
    };
    appendHttpConfig = mkOption {
      type = types.lines;
      default = "";
      description = "Configuration lines appended to the generated http block.";
    };
    commonHttpConfig = mkOption {
      type = types.lines;
      default = "";
      description = "Configuration lines prepended to the generated http block.";
    };
    appendConfig = mkOption {
      type = types.lines;
      default = "";
      description = "Configuration lines appended to the generated Nginx configuration file.";
    };
    upstreams = mkOption {
      type = types.attrsOf (types.submodule {
        options = {
          servers = mkOption {
            type = types.attrsOf (types.submodule { freeformType = types.attrsOf (types.oneOf [ types.bool types.int types.str ]); });
            default = { };
            description = "Defines the address and other parameters of the upstream servers.";
          };
          extraConfig = mkOption {
            type = types.lines;
            default = "";
            description = "These lines go to the end of the upstream verbatim.";
          };
        };
      });
      default = { };
      description = "Defines a group of servers to use as proxy target.";
    };
    virtualHosts = mkOption {
      type = types.attrsOf (types.submodule vhostOpts);
      default = { };
      description = "Declarative vhost config.";
    };
  };

  options.security.acme = {
    acceptTerms = bool false "Accept the CA's terms of service.";
    useRoot = bool false "Whether to use the root user when generating certs.";
    defaults = {
      email = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "Email address for account creation and correspondence from the CA.";
      };
      server = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "ACME Directory Resource URI.";
      };
      webroot = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "Where the webroot of the HTTP vhost is located.";
      };
      dnsProvider = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "DNS provider to use for DNS-01 validation.";
      };
      group = mkOption {
        type = types.str;
        default = "acme";
        description = "Group running the ACME client.";
      };
    };
    certs = mkOption {
      default = { };
      type = types.attrsOf (types.submodule acmeCertOpts);
      description = "Attribute set of certificates to get signed and renewed.";
    };
  };

  config = {
    # nginx/default.nix: every enableACME vhost gets a cert named after it.
    security.acme.certs = lib.mapAttrs' (
      name: vhost:
      lib.nameValuePair (if vhost.serverName != null then vhost.serverName else name) (
        {
          domain = if vhost.serverName != null then vhost.serverName else name;
          extraDomainNames = vhost.serverAliases;
          group = lib.mkDefault cfg.group;
        }
        // lib.optionalAttrs (vhost.acmeRoot != null) { webroot = vhost.acmeRoot; }
      )
    ) (lib.filterAttrs (_: vhost: cfg.enable && vhost.enableACME) cfg.virtualHosts);

    assertions =
      lib.optionals cfg.enable (
        lib.concatLists (
          lib.mapAttrsToList (name: vhost: [
            {
              assertion =
                lib.count lib.id [
                  vhost.addSSL
                  (vhost.onlySSL || vhost.enableSSL or false)
                  vhost.forceSSL
                  vhost.rejectSSL
                ] <= 1;
              message = ''
                Options services.nginx.service.virtualHosts.<name>.addSSL,
                services.nginx.virtualHosts.<name>.onlySSL,
                services.nginx.virtualHosts.<name>.forceSSL and
                services.nginx.virtualHosts.<name>.rejectSSL are mutually exclusive.
              '';
            }
            {
              assertion = !(vhost.enableACME && vhost.useACMEHost != null);
              message = ''
                Options services.nginx.service.virtualHosts.<name>.enableACME and
                services.nginx.virtualHosts.<name>.useACMEHost are mutually exclusive.
              '';
            }
          ]) cfg.virtualHosts
        )
      )
      ++ lib.optionals (acme.certs != { }) [
        {
          assertion = acme.acceptTerms;
          message = ''
            You must accept the CA's terms of service before using
            the ACME module by setting `security.acme.acceptTerms`
            to `true`. For Let's Encrypt's ToS see https://letsencrypt.org/repository/
          '';
        }
        {
          assertion = lib.all (c: c.email != null) (lib.attrValues acme.certs);
          message = ''
            You must define `security.acme.certs.<name>.email` or
            `security.acme.defaults.email` to register with the CA. Note that using
            many different addresses for certs may trigger account rate limits.
          '';
        }
      ];
  };
}
