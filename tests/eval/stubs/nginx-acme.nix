# Stub of services.nginx and security.acme. The search index holds no copy of
# these files at the flake.lock commit (2c423e03bbafcff28bfadc6781a4a8257f205cb5);
# they were read at:
#   nixos/modules/services/web-servers/nginx/default.nix      @ 5bba330bed5d27ebf3d1f10b4ce562b944d42edb
#   nixos/modules/services/web-servers/nginx/vhost-options.nix @ 0050271eb3b56e41703dc6ab04a11182317dd543
#   nixos/modules/services/web-servers/nginx/location-options.nix @ e0741f86b9865732cbb47214a5d3412a7f759b5f
#   nixos/modules/security/acme/default.nix                  @ c9634190fe4c832b63bb617a72fdd4461b3ca9da
#   nixos/modules/security/acme/mk-cert-ownership-assertion.nix @ ac6cd14bca59ac3f6710b686e5864e4b75992b19
# Facts: ../nixos-facts/nginx-acme.json.
#
# Modelled: the options modules set, the certs nginx requests for enableACME
# hosts, the nginx user and group, and what real evaluation checks: the
# assertions of both modules, and that an SSL host (addSSL, onlySSL, forceSSL)
# without enableACME/useACMEHost has sslCertificate and sslCertificateKey,
# which have no default (real nginx reads them while writing nginx.conf; here
# an assertion reads them, so the error is the same "used but not defined").
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
      basicAuth = mkOption {
        type = types.attrsOf types.str;
        default = { };
        description = "Basic Auth protection for a location.";
      };
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
      fastcgiParams = mkOption {
        type = types.attrsOf (types.either types.str types.path);
        default = { };
        description = "FastCGI parameters to override.";
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
      recommendedProxySettings = mkOption {
        type = types.bool;
        default = cfg.recommendedProxySettings;
        defaultText = lib.literalExpression "config.services.nginx.recommendedProxySettings";
        description = "Enable recommended proxy settings.";
      };
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
          type = types.listOf (
            types.submodule {
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
            }
          );
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
          description = "Directory for the ACME challenge, or null to inherit from config.security.acme.";
        };
        acmeFallbackHost = nullStr "Host which to proxy requests to if ACME challenge is not found.";
        addSSL = bool false "Whether to enable HTTPS in addition to plain HTTP.";
        onlySSL = bool false "Whether to enable HTTPS and reject plain HTTP connections.";
        forceSSL = bool false "Whether to add a separate nginx server block that redirects all plain HTTP traffic to HTTPS.";
        rejectSSL = bool false "Whether to listen for and reject all HTTPS connections to this vhost.";
        kTLS = bool false "Whether to enable kTLS support.";
        sslCertificate = mkOption {
          type = types.path;
          description = "Path to server SSL certificate.";
        };
        sslCertificateKey = mkOption {
          type = types.path;
          description = "Path to server SSL certificate key.";
        };
        sslTrustedCertificate = mkOption {
          type = types.nullOr types.path;
          default = null;
          description = "Path to root SSL certificate for stapling and client certificates.";
        };
        http2 = bool true "Whether to enable the HTTP/2 protocol.";
        http3 = bool true "Whether to enable the HTTP/3 protocol.";
        http3_hq = bool false "Whether to enable the HTTP/0.9 protocol negotiation used in QUIC interoperability tests.";
        quic = bool false "Whether to enable the QUIC transport protocol.";
        multipath = bool false "Enables accepting connections via Multipath TCP (MPTCP).";
        reuseport = bool false "Create an individual listening socket.";
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
        globalRedirect = nullStr "If set, all requests for this host are redirected to the given hostname.";
        redirectCode = mkOption {
          type = types.ints.between 300 399;
          default = 301;
          description = "HTTP status used by globalRedirect and forceSSL.";
        };
        basicAuth = mkOption {
          type = types.attrsOf types.str;
          default = { };
          description = "Basic Auth protection for a vhost.";
        };
        basicAuthFile = mkOption {
          type = types.nullOr types.path;
          default = null;
          description = "Basic Auth password file for a vhost.";
        };
        locations = mkOption {
          type = types.attrsOf (types.submodule locationOpts);
          default = { };
          description = "Declarative location config";
        };
      };
    };

  # security/acme/default.nix inheritableModule: options of both
  # security.acme.defaults and security.acme.certs.<name>; a cert inherits the
  # defaults unless inheritDefaults = false.
  inheritableOptions = [
    { name = "validMinDays"; type = types.int; default = 30; }
    { name = "renewInterval"; type = types.str; default = "daily"; }
    { name = "enableDebugLogs"; type = types.bool; default = true; }
    { name = "webroot"; type = types.nullOr types.str; default = null; }
    { name = "server"; type = types.nullOr types.str; default = "https://acme-v02.api.letsencrypt.org/directory"; }
    { name = "email"; type = types.nullOr types.str; default = null; }
    { name = "group"; type = types.str; default = "acme"; }
    { name = "reloadServices"; type = types.listOf types.str; default = [ ]; }
    { name = "postRun"; type = types.lines; default = ""; }
    { name = "keyType"; type = types.str; default = "ec256"; }
    { name = "listenHTTP"; type = types.nullOr types.str; default = null; }
    { name = "dnsProvider"; type = types.nullOr types.str; default = null; }
    { name = "dnsResolver"; type = types.nullOr types.str; default = null; }
    { name = "environmentFile"; type = types.nullOr types.path; default = null; }
    { name = "credentialFiles"; type = types.attrsOf types.path; default = { }; }
    { name = "dnsPropagationCheck"; type = types.bool; default = true; }
    { name = "ocspMustStaple"; type = types.bool; default = false; }
    { name = "profile"; type = types.nullOr types.str; default = null; }
    { name = "extraLegoFlags"; type = types.listOf types.str; default = [ ]; }
    { name = "extraLegoRenewFlags"; type = types.listOf types.str; default = [ ]; }
    { name = "extraLegoRunFlags"; type = types.listOf types.str; default = [ ]; }
  ];
  inheritableModule =
    isDefaults:
    { config, ... }:
    {
      options = lib.listToAttrs (
        map (
          o:
          lib.nameValuePair o.name (mkOption {
            inherit (o) type;
            default = if isDefaults || !config.inheritDefaults then o.default else acme.defaults.${o.name};
            defaultText =
              if isDefaults then o.default else lib.literalExpression "config.security.acme.defaults.${o.name}";
            description = "See security/acme/default.nix (${o.name}).";
          })
        ) inheritableOptions
      );
    };
  certOpts =
    { name, ... }:
    {
      options = {
        directory = mkOption {
          type = types.str;
          readOnly = true;
          default = "/var/lib/acme/${name}";
          description = "Directory where certificate and other state is stored.";
        };
        domain = mkOption {
          type = types.str;
          default = name;
          description = "Domain to fetch certificate for (defaults to the entry name).";
        };
        csr = nullStr "Path to a certificate signing request to apply when fetching the certificate.";
        csrKey = nullStr "Path to the private key to the matching certificate signing request.";
        extraDomainNames = mkOption {
          type = types.listOf types.str;
          default = [ ];
          description = "A list of extra domain names, which are included in the one certificate to be issued.";
        };
        s3Bucket = nullStr "S3 bucket name to use for HTTP-01 based challenges.";
        inheritDefaults = mkOption {
          type = types.bool;
          default = true;
          description = "Whether to inherit values set in `security.acme.defaults` or not.";
        };
      };
    };

  # nginx/default.nix: vhosts with their computed serverName and certName;
  # ACME hosts take their certificate from the cert's directory.
  virtualHosts = lib.mapAttrs (
    vhostName: vhost:
    let
      serverName = if vhost.serverName != null then vhost.serverName else vhostName;
      certName = if vhost.useACMEHost != null then vhost.useACMEHost else serverName;
    in
    vhost
    // {
      inherit serverName certName;
    }
    // lib.optionalAttrs (vhost.enableACME || vhost.useACMEHost != null) {
      sslCertificate = "${acme.certs.${certName}.directory}/fullchain.pem";
      sslCertificateKey = "${acme.certs.${certName}.directory}/key.pem";
    }
  ) cfg.virtualHosts;
  acmeEnabledVhosts = lib.filter (v: v.enableACME || v.useACMEHost != null) (lib.attrValues virtualHosts);
  vhostCertNames = lib.unique (map (v: v.certName) acmeEnabledVhosts);
  hasSSL = v: v.onlySSL || (v.enableSSL or false) || v.addSSL || v.forceSSL;
  mkCertOwnershipAssertion =
    {
      cert,
      groups,
      services,
    }:
    let
      svcUser = svc: svc.serviceConfig.User or "root";
      svcGroups =
        svc:
        (lib.optional (svc.serviceConfig ? Group) svc.serviceConfig.Group)
        ++ lib.toList (svc.serviceConfig.SupplementaryGroups or [ ]);
    in
    {
      assertion = builtins.all (
        svc:
        svcUser svc == "root"
        || builtins.elem (svcUser svc) (groups.${cert.group}.members or [ ])
        || builtins.elem cert.group (svcGroups svc)
      ) services;
      message = "Certificate ${cert.domain} (group=${cert.group}) must be readable by service(s) ${
        lib.concatStringsSep ", " (
          map (svc: "${svc.name} (user=${svcUser svc} groups=${lib.concatStringsSep "," (svcGroups svc)})") services
        )
      }";
    };
  # The nginx unit as far as the ownership assertion reads it.
  nginxService = {
    name = "nginx.service";
    serviceConfig = {
      User = cfg.user;
      Group = cfg.group;
    };
  };
in
{
  options.services.nginx = {
    enable = lib.mkEnableOption "Nginx Web Server";
    package = mkOption {
      type = types.package;
      default = pkgs.nginxStable;
      defaultText = lib.literalExpression "pkgs.nginxStable";
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
    defaultListen = mkOption {
      type = types.listOf (
        types.submodule {
          options = {
            addr = mkOption {
              type = types.str;
              description = "IP address.";
            };
            port = mkOption {
              type = types.nullOr types.port;
              default = null;
              description = "Port number.";
            };
            ssl = mkOption {
              type = types.nullOr types.bool;
              default = null;
              description = "Enable SSL.";
            };
            proxyProtocol = bool false "Enable PROXY protocol.";
            extraParameters = mkOption {
              type = types.listOf types.str;
              default = [ ];
              description = "Extra parameters of this listen directive.";
            };
          };
        }
      );
      default = [ ];
      description = "If vhosts do not specify listen, use these addresses by default.";
    };
    defaultListenAddresses = mkOption {
      type = types.listOf types.str;
      default = [ "0.0.0.0" ] ++ lib.optional config.networking.enableIPv6 "[::0]";
      defaultText = lib.literalExpression ''[ "0.0.0.0" ] ++ lib.optional config.networking.enableIPv6 "[::0]"'';
      description = "If vhosts do not specify listenAddresses, use these addresses by default.";
    };
    defaultHTTPListenPort = mkOption {
      type = types.port;
      default = 80;
      description = "If vhosts do not specify listen.port, use this port by default for http.";
    };
    defaultSSLListenPort = mkOption {
      type = types.port;
      default = 443;
      description = "If vhosts do not specify listen.port, use this port by default for https.";
    };
    recommendedProxySettings = bool false "Whether to enable recommended proxy settings.";
    recommendedTlsSettings = bool false "Whether to enable recommended TLS settings.";
    recommendedGzipSettings = bool false "Whether to enable recommended gzip settings.";
    recommendedOptimisation = bool false "Whether to enable recommended optimisation settings.";
    recommendedBrotliSettings = bool false "Whether to enable recommended brotli settings.";
    recommendedZstdSettings = bool false "Whether to enable recommended zstd settings.";
    proxyTimeout = mkOption {
      type = types.str;
      default = "60s";
      description = "Change the proxy related timeouts in recommendedProxySettings.";
    };
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
      type = types.attrsOf (
        types.submodule {
          options = {
            servers = mkOption {
              type = types.attrsOf (
                types.submodule {
                  freeformType = types.attrsOf (
                    types.oneOf [
                      types.bool
                      types.int
                      types.str
                    ]
                  );
                  options.backup = bool false "Marks the server as a backup server.";
                }
              );
              default = { };
              description = "Defines the address and other parameters of the upstream servers.";
            };
            extraConfig = mkOption {
              type = types.lines;
              default = "";
              description = "These lines go to the end of the upstream verbatim.";
            };
          };
        }
      );
      default = { };
      description = "Defines a group of servers to use as proxy target.";
    };
    resolver = mkOption {
      type = types.submodule {
        options = {
          addresses = mkOption {
            type = types.listOf types.str;
            default = [ ];
            description = "List of resolvers to use";
          };
          valid = mkOption {
            type = types.str;
            default = "";
            description = "Overrides the TTL of cached answers.";
          };
          ipv4 = bool true "Whether nginx looks up IPv4 addresses while resolving.";
          ipv6 = mkOption {
            type = types.bool;
            default = config.networking.enableIPv6;
            defaultText = lib.literalExpression "config.networking.enableIPv6";
            description = "Whether nginx looks up IPv6 addresses while resolving.";
          };
        };
      };
      default = { };
      description = "Configures name servers used to resolve names of upstream servers into addresses";
    };
    virtualHosts = mkOption {
      type = types.attrsOf (types.submodule vhostOpts);
      # As in NixOS: nginx always has a localhost host unless overridden.
      default = {
        localhost = { };
      };
      description = "Declarative vhost config";
    };
  };

  options.security.acme = {
    acceptTerms = bool false "Accept the CA's terms of service.";
    useRoot = bool false "Whether to use the root user when generating certs.";
    defaults = mkOption {
      type = types.submodule (inheritableModule true);
      description = "Default values inheritable by all configured certs.";
    };
    certs = mkOption {
      default = { };
      type = types.attrsOf (
        types.submodule [
          (inheritableModule false)
          certOpts
        ]
      );
      description = "Attribute set of certificates to get signed and renewed.";
    };
    maxConcurrentRenewals = mkOption {
      type = types.int;
      default = 5;
      description = "Maximum number of concurrent certificate generation or renewal jobs.";
    };
  };

  config = lib.mkMerge [
    (lib.mkIf cfg.enable {
      # nginx/default.nix: a cert for every enableACME host without useACMEHost.
      security.acme.certs = lib.listToAttrs (
        map (
          vhost:
          let
            hasRoot = vhost.acmeRoot != null;
          in
          lib.nameValuePair vhost.serverName {
            group = lib.mkDefault cfg.group;
            webroot = lib.mkOverride (if hasRoot then 1000 else 2000) vhost.acmeRoot;
            dnsProvider = lib.mkOverride (if hasRoot then 1000 else 2000) null;
            extraDomainNames = vhost.serverAliases;
          }
        ) (lib.filter (v: v.useACMEHost == null) acmeEnabledVhosts)
      );

      users.users = lib.optionalAttrs (cfg.user == "nginx") {
        nginx = {
          group = cfg.group;
          isSystemUser = true;
        };
      };
      users.groups = lib.optionalAttrs (cfg.group == "nginx") { nginx = { }; };

      assertions =
        let
          hosts = lib.attrValues virtualHosts;
          hostOrAliasIsNull = l: l.root == null || l.alias == null;
          hasAtLeastHttpListener =
            listenOptions:
            lib.any (
              listenLine: if listenLine ? proxyProtocol then !listenLine.proxyProtocol else true
            ) listenOptions;
          hasAtLeastDefaultHttpListener =
            if cfg.defaultListen != [ ] then
              hasAtLeastHttpListener cfg.defaultListen
            else
              (cfg.defaultListenAddresses != [ ]);
        in
        [
          {
            assertion = lib.all (host: lib.all hostOrAliasIsNull (lib.attrValues host.locations)) hosts;
            message = "Only one of nginx root or alias can be specified on a location.";
          }
          {
            assertion = lib.all (
              host:
              lib.count lib.id [
                host.addSSL
                (host.onlySSL || host.enableSSL or false)
                host.forceSSL
                host.rejectSSL
              ] <= 1
            ) hosts;
            message = ''
              Options services.nginx.service.virtualHosts.<name>.addSSL,
              services.nginx.virtualHosts.<name>.onlySSL,
              services.nginx.virtualHosts.<name>.forceSSL and
              services.nginx.virtualHosts.<name>.rejectSSL are mutually exclusive.
            '';
          }
          {
            assertion = lib.all (host: !(host.enableACME && host.useACMEHost != null)) hosts;
            message = ''
              Options services.nginx.service.virtualHosts.<name>.enableACME and
              services.nginx.virtualHosts.<name>.useACMEHost are mutually exclusive.
            '';
          }
          {
            assertion = lib.all (
              host:
              let
                hasAtLeastVhostHttpListener =
                  if host.listen != [ ] then hasAtLeastHttpListener host.listen else (host.listenAddresses != [ ]);
                vhostAuthority = host.listen != [ ] || (cfg.defaultListen == [ ] && host.listenAddresses != [ ]);
              in
              host.enableACME
              -> (
                (vhostAuthority && hasAtLeastVhostHttpListener)
                || (!vhostAuthority && hasAtLeastDefaultHttpListener)
              )
            ) hosts;
            message = ''
              services.nginx.virtualHosts.<name>.enableACME requires a HTTP listener
              to answer to ACME requests.
            '';
          }
          {
            assertion = cfg.resolver.ipv4 || cfg.resolver.ipv6;
            message = ''
              At least one of services.nginx.resolver.ipv4 and services.nginx.resolver.ipv6 must be true.
            '';
          }
          {
            # Real nginx interpolates both into nginx.conf for every SSL host:
            # without ACME they must be set (they have no default).
            assertion = lib.all (
              host:
              hasSSL host
              -> builtins.seq (toString host.sslCertificate) (builtins.seq (toString host.sslCertificateKey) true)
            ) hosts;
            message = "unreachable: reading sslCertificate throws when it is unset";
          }
        ]
        ++ map (
          name:
          mkCertOwnershipAssertion {
            cert = acme.certs.${name};
            groups = config.users.groups;
            services = [ nginxService ];
          }
        ) vhostCertNames;
    })

    (lib.mkIf (acme.certs != { }) {
      users.users.acme = {
        home = "/var/lib/acme";
        homeMode = "755";
        group = "acme";
        isSystemUser = true;
      };
      users.groups.acme = { };

      assertions =
        let
          certs = lib.attrValues acme.certs;
        in
        [
          {
            assertion = acme.defaults.email != null || lib.all (certOpts: certOpts.email != null) certs;
            message = ''
              You must define `security.acme.certs.<name>.email` or
              `security.acme.defaults.email` to register with the CA. Note that using
              many different addresses for certs may trigger account rate limits.
            '';
          }
          {
            assertion = acme.acceptTerms;
            message = ''
              You must accept the CA's terms of service before using
              the ACME module by setting `security.acme.acceptTerms`
              to `true`. For Let's Encrypt's ToS see https://letsencrypt.org/repository/
            '';
          }
        ]
        ++ [
          {
            # acme/default.nix's certToConfig reads every option of every cert
            # (server, keyType, ...) into the lego units: values of the wrong
            # type fail there.
            assertion = builtins.deepSeq (map (c: removeAttrs c [ "_module" ]) certs) true;
            message = "unreachable: reading the certs throws when a value has the wrong type";
          }
        ]
        ++ lib.concatLists (
          lib.mapAttrsToList (cert: data: [
            {
              assertion = !lib.hasInfix "*" cert;
              message = ''
                The cert option path `security.acme.certs.${cert}.dnsProvider`
                cannot contain a * character.
                Instead, set `security.acme.certs.${cert}.domain = "${cert}";`
                and remove the wildcard from the path.
              '';
            }
            (
              let
                exclusiveAttrs = {
                  inherit (data)
                    dnsProvider
                    webroot
                    listenHTTP
                    s3Bucket
                    ;
                };
              in
              {
                assertion = lib.length (lib.filter (x: x != null) (builtins.attrValues exclusiveAttrs)) == 1;
                message = ''
                  Exactly one of the options
                  `security.acme.certs.${cert}.dnsProvider`,
                  `security.acme.certs.${cert}.webroot`,
                  `security.acme.certs.${cert}.listenHTTP` and
                  `security.acme.certs.${cert}.s3Bucket`
                  is required.
                  Current values: ${(lib.generators.toPretty { } exclusiveAttrs)}.
                '';
              }
            )
            {
              assertion = lib.all (lib.hasSuffix "_FILE") (lib.attrNames data.credentialFiles);
              message = ''
                Option `security.acme.certs.${cert}.credentialFiles` can only be
                used for variables suffixed by "_FILE".
              '';
            }
            {
              assertion = lib.all (
                certOpts:
                (certOpts.csr == null && certOpts.csrKey == null) || (certOpts.csr != null && certOpts.csrKey != null)
              ) certs;
              message = ''
                When passing a certificate signing request both `security.acme.certs.${cert}.csr` and `security.acme.certs.${cert}.csrKey` need to be set.
              '';
            }
          ]) acme.certs
        );
    })
  ];
}
