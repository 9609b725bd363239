# rsky-space-host: the authority and host of one atproto permissioned-data
# space (`at://<authority>/space/community.blacksky.feed/main`). It decides who
# may read and write (member list, public, or a managing app), mints space
# credentials, keeps the writer set and routes write notifications to
# syncers (services.blacksky.daemon). Flags from rsky-space-host/src/config.rs
# at the pin in pkgs/rsky/source.json (tests/fixtures/help/blacksky-space-host.txt);
# the signing key goes by environment (blacksky-space-host-env.txt), so it
# never appears on a command line. State: space_host.db (writer set,
# registrations, used nonces) in the state directory.
import ../../lib/service-module.nix (
  {
    cfg,
    opt,
    lib,
    svc,
    ...
  }:
  let
    inherit (lib) mkOption types;
    unit = "blacksky-space-host";
    stateDir = "/var/lib/${unit}";
    argv = [
      (lib.getExe cfg.package)
      "--authority-did"
      (toString cfg.authorityDid)
      "--policy"
      cfg.policy
      "--managing-app"
      (toString cfg.managingApp)
      "--members"
      (lib.concatStringsSep "," cfg.members)
      "--db-path"
      "${stateDir}/space_host.db"
      "--plc-url"
      cfg.plcUrl
      "--bind"
      (svc.socketAddr cfg.listenAddress cfg.port)
      "--public-url"
      cfg.publicUrl
    ]
    ++ cfg.extraArgs;
  in
  {
    path = [
      "blacksky"
      "space-host"
    ];
    name = "rsky-space-host";
    description = "rsky-space-host, the authority and host of an atproto permissioned-data space";
    package = "rsky-space-host";
    port = 3600;
    # Upstream falls back to "info" only when RUST_LOG is unset or invalid.
    environment = {
      RUST_LOG = "info";
    };

    options = {
      authorityDid = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "did:plc:ar7c4by46qjdydhdevvrndac";
        description = "The space authority's DID, a dedicated community DID (`--authority-did`). Required.";
      };
      signingKeyFile = svc.mkSecretOption {
        description = ''
          File holding the hex-encoded secp256k1 space signing key, the
          authority DID document's `#atproto_space` key
          (`SPACEHOST_SIGNING_KEY_HEX`). Required: the key must match the DID
          document, so it cannot be generated here.
        '';
      };
      policy = mkOption {
        type = types.enum [
          "member-list"
          "public"
          "managing-app"
        ];
        default = "member-list";
        description = "How users are authorized when a credential is minted (`--policy`; upstream's default).";
      };
      managingApp = mkOption {
        type = types.nullOr (types.strMatching ".+#.+");
        default = null;
        example = "did:web:app.example.com#blacksky_app";
        description = "Service identifier (`did#fragment`) of the managing app (`--managing-app`). Required with `policy = \"managing-app\"`.";
      };
      members = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "did:plc:ar7c4by46qjdydhdevvrndac" ];
        description = "Member DIDs seeding the `member-list` policy (`--members`, comma-separated).";
      };
      plcUrl = mkOption {
        type = types.str;
        default = "https://plc.directory";
        description = "PLC directory used to resolve DIDs (`--plc-url`; upstream's default).";
      };
      publicUrl = mkOption {
        type = types.str;
        default =
          if cfg.nginx.enable && cfg.nginx.hostName != null then
            "https://${cfg.nginx.hostName}"
          else
            "http://localhost:${toString cfg.port}";
        defaultText = lib.literalExpression ''"https://''${nginx.hostName}" with nginx, else "http://localhost:''${port}"'';
        description = ''
          Origin clients reach this host at (`--public-url`). DPoP proofs are
          bound to it, so a value that differs from what clients call fails
          every proof.
        '';
      };
    };

    service = {
      inherit unit;
      description = "rsky-space-host, the authority and host of an atproto permissioned-data space";
      # The plan asks for static users for Blacksky's services.
      staticUser = true;
      stateDirectory = true;
      assertions = [
        {
          assertion = cfg.authorityDid != null;
          message = "${opt}.authorityDid is not set: set it to the space authority's DID.";
        }
        {
          assertion = cfg.signingKeyFile != null;
          message = "${opt}.signingKeyFile is not set: set it to a file holding the hex secp256k1 key of the authority DID's #atproto_space verification method.";
        }
        {
          assertion = cfg.policy == "managing-app" -> cfg.managingApp != null;
          message = "${opt}.policy is \"managing-app\": set ${opt}.managingApp to the managing app's did#fragment.";
        }
      ];
      # SPACEHOST_MEMBERSHIP_DB_URL is declared upstream but read by nothing
      # at this pin (the managing-app policy asks the app over HTTP), so it is
      # not an option.
      credentials.signing-key = cfg.signingKeyFile;
      credentialEnv = {
        SPACEHOST_SIGNING_KEY_HEX = "signing-key";
      };
      script = ''
        exec ${lib.escapeShellArgs argv}
      '';
      serviceConfig = {
        # Upstream shuts down gracefully on SIGINT only.
        KillSignal = "SIGINT";
      };
    };
  }
)
