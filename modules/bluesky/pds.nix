# services.bluesky.pds: the Bluesky Personal Data Server on nixpkgs'
# `bluesky-pds` package (binary cache; not repackaged here).
#
# Environment variables from packages/pds/src/config/env.ts (and their
# defaults and checks from config.ts, secrets.ts) in bluesky-social/atproto at
# tag @atproto/pds@0.4.208, the version nixpkgs' pkgs/by-name/bl/bluesky-pds
# pins at the newest commit the search index holds (149500a6); the flake.lock
# commit 2c423e03 could not be read here (docs/pds.md).
#
# Differences from nixpkgs' services.bluesky-pds (same data layout,
# /var/lib/pds, so moving over keeps every account; docs/pds.md):
# - secrets are files or systemd credentials; the JWT secret, admin password
#   and PLC rotation key are generated at first start when not given;
# - @atproto/pds has no bind-address setting (it calls app.listen(port)), so
#   a preload script passes `listenAddress` (loopback by default) to listen();
# - the unit uses the shared hardening preset (`jit` for V8);
# - a reverse proxy with a wildcard certificate for handle subdomains, backups
#   (restic), and a `pdsadmin` bound to this PDS.
{
  config,
  lib,
  pkgs,
  utils,
  ...
}:
let
  cfg = config.services.bluesky.pds;
  opt = "services.bluesky.pds";
  inherit (lib)
    mkIf
    mkOption
    mkEnableOption
    types
    ;
  svc = import ../../lib/service.nix { inherit lib; };
  mkHardening = import ../../lib/hardening.nix { inherit lib; };

  dataDir = "/var/lib/pds";
  unit = "pds";

  envValue =
    v:
    if builtins.isBool v then
      lib.boolToString v
    else if builtins.isList v then
      lib.concatStringsSep "," v # envList splits on commas
    else
      toString v;

  handleDomains =
    if cfg.serviceHandleDomains != [ ] then
      cfg.serviceHandleDomains
    else
      lib.optional (cfg.hostname != null) ".${cfg.hostname}";
  # A handle domain below the hostname needs a wildcard certificate.
  needsWildcard = lib.any (d: cfg.hostname != null && lib.hasSuffix ".${cfg.hostname}" ("x" + d)) handleDomains;

  s3 = cfg.blobstore.s3;
  environment = lib.filterAttrs (_: v: v != null) (
    lib.mapAttrs (_: v: if v == null then null else envValue v) (
      {
        PDS_HOSTNAME = cfg.hostname;
        PDS_PORT = cfg.port;
        PDS_DATA_DIRECTORY = dataDir;
        PDS_SERVICE_HANDLE_DOMAINS = if cfg.serviceHandleDomains == [ ] then null else cfg.serviceHandleDomains;
        PDS_DID_PLC_URL = cfg.didPlcUrl;
        PDS_CRAWLERS = if cfg.crawlers == [ ] then null else cfg.crawlers;
        PDS_INVITE_REQUIRED = cfg.invites.required;
        PDS_INVITE_INTERVAL = cfg.invites.interval;
        PDS_EMAIL_FROM_ADDRESS = cfg.email.fromAddress;
        PDS_MODERATION_EMAIL_ADDRESS = cfg.email.moderationAddress;
        PDS_RATE_LIMITS_ENABLED = cfg.rateLimits.enable;
        PDS_RATE_LIMIT_BYPASS_IPS = if cfg.rateLimits.bypassIps == [ ] then null else cfg.rateLimits.bypassIps;
        PDS_BLOBSTORE_DISK_LOCATION = if cfg.blobstore.type == "disk" then cfg.blobstore.disk.location else null;
      }
      // lib.optionalAttrs (cfg.blobstore.type == "s3") {
        PDS_BLOBSTORE_S3_BUCKET = s3.bucket;
        PDS_BLOBSTORE_S3_REGION = s3.region;
        PDS_BLOBSTORE_S3_ENDPOINT = s3.endpoint;
        PDS_BLOBSTORE_S3_FORCE_PATH_STYLE = s3.forcePathStyle;
      }
      // cfg.settings
    )
  );

  # Secrets: variable -> { given = credential file option; generate = shell
  # command printing a new value, or null when it must be given }.
  secrets = {
    PDS_JWT_SECRET = {
      file = cfg.jwtSecretFile;
      generate = "openssl rand -hex 16";
    };
    PDS_ADMIN_PASSWORD = {
      file = cfg.adminPasswordFile;
      generate = "openssl rand -hex 16";
    };
    PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX = {
      file = cfg.plcRotationKeyFile;
      generate = "gen_k256_key";
    };
    PDS_DPOP_SECRET = {
      file = cfg.dpopSecretFile;
      generate = null;
    };
    PDS_EMAIL_SMTP_URL = {
      file = cfg.email.smtpUrlFile;
      generate = null;
    };
    PDS_MODERATION_EMAIL_SMTP_URL = {
      file = cfg.email.moderationSmtpUrlFile;
      generate = null;
    };
    PDS_RATE_LIMIT_BYPASS_KEY = {
      file = cfg.rateLimits.bypassKeyFile;
      generate = null;
    };
    PDS_BLOBSTORE_S3_ACCESS_KEY_ID = {
      file = if cfg.blobstore.type == "s3" then s3.accessKeyIdFile else null;
      generate = null;
    };
    PDS_BLOBSTORE_S3_SECRET_ACCESS_KEY = {
      file = if cfg.blobstore.type == "s3" then s3.secretAccessKeyFile else null;
      generate = null;
    };
  };
  credName = var: lib.toLower (lib.replaceStrings [ "_" ] [ "-" ] var);

  readSecret =
    var: s:
    if s.file != null then
      ''
        ${var}="$(< "$CREDENTIALS_DIRECTORY/${credName var}")"
        export ${var}
      ''
    else if s.generate != null then
      ''
        ensure_secret ${credName var} ${lib.escapeShellArg s.generate}
        ${var}="$(< "$STATE_DIRECTORY/secrets/${credName var}")"
        export ${var}
      ''
    else
      "";

  startScript = ''
    # Secrets not given are created once, mode 0600, and never changed.
    mkdir -p "$STATE_DIRECTORY/secrets"
    # A secp256k1 private key as 64 hex digits: the 32-byte key sits at
    # offset 7 of the DER ECPrivateKey openssl writes for this curve. Read
    # back through openssl, which rejects a key outside the curve's range.
    gen_k256_key() {
      local hex
      hex="$(openssl ecparam -name secp256k1 -genkey -noout -outform DER \
        | tail -c +8 | head -c 32 | od -An -v -tx1 | tr -d ' \n')"
      check_k256_key "$hex" && printf '%s\n' "$hex"
    }
    check_k256_key() {
      [[ $1 =~ ^[0-9a-f]{64}$ ]] || { echo "not 64 hex digits" >&2; return 1; }
      # RFC 5915 ECPrivateKey with the secp256k1 OID (1.3.132.0.10).
      printf "$(printf '302e0201010420%sa00706052b8104000a' "$1" | sed 's/../\\x&/g')" \
        | openssl ec -inform DER -check -noout 2>/dev/null \
        || { echo "not a valid secp256k1 private key" >&2; return 1; }
    }
    ensure_secret() {
      local file="$STATE_DIRECTORY/secrets/$1"
      if [[ ! -s $file ]]; then
        (umask 077 && eval "$2" > "$file.new" && mv "$file.new" "$file")
      fi
    }
    ${lib.concatStrings (lib.mapAttrsToList readSecret secrets)}
    ${lib.optionalString (
      cfg.plcRotationKeyFile == null
    ) ''check_k256_key "$PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX"''}
    ${lib.optionalString (cfg.blobstore.type == "disk") ''mkdir -p ${lib.escapeShellArg cfg.blobstore.disk.location}''}

    # @atproto/pds calls app.listen(port) without a host; pass listenAddress.
    cat > "$RUNTIME_DIRECTORY/listen.cjs" <<'EOF'
    const net = require('node:net')
    const host = process.env.ATNIX_PDS_LISTEN_ADDRESS
    const listen = net.Server.prototype.listen
    net.Server.prototype.listen = function (...args) {
      if (host && typeof args[0] === 'number' && typeof args[1] !== 'string') args.splice(1, 0, host)
      return listen.apply(this, args)
    }
    EOF
    export ATNIX_PDS_LISTEN_ADDRESS=${lib.escapeShellArg cfg.listenAddress}
    export NODE_OPTIONS="--require $RUNTIME_DIRECTORY/listen.cjs''${NODE_OPTIONS:+ $NODE_OPTIONS}"
    exec ${lib.getExe cfg.package}
  '';

  adminPasswordPath =
    if cfg.adminPasswordFile != null then
      cfg.adminPasswordFile
    else
      "${dataDir}/secrets/${credName "PDS_ADMIN_PASSWORD"}";

  # nixpkgs' pdsadmin sources PDS_ENV_FILE for PDS_HOSTNAME and
  # PDS_ADMIN_PASSWORD; this one writes that file from this PDS's settings
  # (root only: the password is readable by root and the service alone).
  pdsadmin = pkgs.writeShellScriptBin "pdsadmin" ''
    set -euo pipefail
    umask 077
    env_file="$(mktemp)"
    trap 'rm -f "$env_file"' EXIT
    {
      printf 'PDS_HOSTNAME=%s\n' ${lib.escapeShellArg (toString cfg.hostname)}
      printf 'PDS_ADMIN_PASSWORD=%s\n' "$(< ${lib.escapeShellArg adminPasswordPath})"
    } > "$env_file"
    PDS_ENV_FILE="$env_file" ${lib.getExe cfg.pdsadminPackage} "$@"
  '';

  b = cfg.backup;
  snapshotDir = "/var/lib/private/${unit}-backup";
  blobsOutside = cfg.blobstore.type == "disk" && !lib.hasPrefix "${dataDir}/" cfg.blobstore.disk.location;

  # A consistent copy of the state directory: each SQLite database through
  # the online backup API (WAL included, writers keep going), everything
  # else (actor keys, blobs on disk, generated secrets) as files.
  snapshotScript = ''
    dst=/var/lib/${unit}-backup
    find "$dst" -mindepth 1 -delete
    cd ${dataDir}
    tar --exclude='*.sqlite' --exclude='*.sqlite-wal' --exclude='*.sqlite-shm' -cf - . | tar -C "$dst" -xf -
    find . -name '*.sqlite' -type f -print0 | while IFS= read -r -d "" db; do
      mkdir -p "$dst/$(dirname "$db")"
      sqlite3 -init /dev/null "$db" ".timeout 10000" ".backup '$dst/$db'"
      [[ $(sqlite3 -init /dev/null "$dst/$db" "pragma integrity_check") == ok ]]
    done
    echo "snapshot of ${dataDir}: $(find "$dst/" -name '*.sqlite' | wc -l) database(s), $(du -sh "$dst/" | cut -f1)"
  '';

  # Root, without capabilities: restic reads root's repository and the
  # snapshot is unpacked as root's files (tar --no-same-owner), then swapped
  # in for the state directory with renames inside /var/lib/private. The
  # PDS's dynamic user does not own the new directory, so systemd hands it
  # over recursively when the PDS starts (DynamicUser= StateDirectory=). The
  # state before the restore stays beside it.
  restoreScript = ''
    export RESTIC_REPOSITORY_FILE="$CREDENTIALS_DIRECTORY/repository"
    export RESTIC_PASSWORD_FILE="$CREDENTIALS_DIRECTORY/password"
    snapshot="''${ATNIX_RESTORE_SNAPSHOT:-latest}"
    # Beside the state directory, so that the swap is a rename.
    staging=/var/lib/private/${unit}-restore
    rm -rf "$staging"
    mkdir -m 0700 "$staging" "$staging/state"
    # --no-lock: reading needs no lock, and the repository may be read-only here.
    restic --no-cache --no-lock dump "$snapshot" ${snapshotDir} \
      | tar -C "$staging/state" --no-same-owner --strip-components=${
        toString (lib.length (lib.filter (x: x != "") (lib.splitString "/" snapshotDir)))
      } -xf -
    [[ -d $staging/state/secrets ]] || { echo "snapshot $snapshot holds no PDS state" >&2; exit 1; }
    chmod 0700 "$staging/state"
    before="/var/lib/private/${unit}.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
    if [[ -e /var/lib/private/${unit} ]]; then mv /var/lib/private/${unit} "$before"; fi
    mv "$staging/state" /var/lib/private/${unit}
    rmdir "$staging"
    echo "restored ${dataDir} from snapshot $snapshot; the state before is in $before (remove it once the PDS works)"
  '';

  # A file read by another program (restic, lego), never copied to the store.
  fileOption =
    example: description:
    mkOption {
      type = types.nullOr svc.externalPath;
      default = null;
      inherit example description;
    };

  nixpkgsPds = config.services.bluesky-pds or { };
  nixpkgsEnabled = nixpkgsPds.enable or false;
  nixpkgsPort = nixpkgsPds.settings.PDS_PORT or 3000;

  n = cfg.proxy;
  nginxOn = n.type == "nginx";
  caddyOn = n.type == "caddy";
  dns01 = n.acme.dnsProvider != null;
  certName = cfg.hostname;
in
{
  imports = [ svc.portsModule ];

  options.services.bluesky.pds = {
    enable = mkEnableOption "the Bluesky Personal Data Server (PDS)";
    package = lib.mkPackageOption pkgs "bluesky-pds" { };
    pdsadminPackage = lib.mkPackageOption pkgs "bluesky-pdsadmin" { };

    hostname = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "pds.example.com";
      description = "Public hostname of the PDS (`PDS_HOSTNAME`). Required; accounts get handles below it by default.";
    };
  }
  # @atproto/pds's own default port (config.ts: `env.port ?? 2583`); nixpkgs'
  # module uses 3000, which Grafana also defaults to.
  // svc.mkListenOptions {
    name = "the PDS";
    port = 2583;
  }
  // {
    serviceHandleDomains = mkOption {
      type = types.listOf (types.strMatching "\\..+");
      default = [ ];
      example = [ ".example.com" ];
      description = "Domains user handles may end in, each starting with a dot (`PDS_SERVICE_HANDLE_DOMAINS`). Empty: `.<hostname>`.";
    };
    didPlcUrl = mkOption {
      type = types.str;
      default = "https://plc.directory";
      description = "PLC directory the PDS registers DIDs with (`PDS_DID_PLC_URL`).";
    };
    crawlers = mkOption {
      type = types.listOf types.str;
      default = [ "https://bsky.network" ];
      description = "Relays asked to crawl this PDS after a write (`PDS_CRAWLERS`; upstream's installer sets bsky.network).";
    };
    invites = {
      required = mkOption {
        type = types.bool;
        default = true;
        description = "Require an invite code to create an account (`PDS_INVITE_REQUIRED`; upstream default true).";
      };
      interval = mkOption {
        type = types.nullOr types.ints.positive;
        default = null;
        description = "Milliseconds of account age per invite code earned (`PDS_INVITE_INTERVAL`); null: none.";
      };
    };
    email = {
      fromAddress = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "pds@example.com";
        description = "Sender of account e-mail (`PDS_EMAIL_FROM_ADDRESS`); goes with `smtpUrlFile`.";
      };
      smtpUrlFile = svc.mkSecretOption {
        example = "/run/secrets/pds-smtp-url";
        description = "File holding the SMTP URL, e.g. `smtps://user:password@smtp.example.com/` (`PDS_EMAIL_SMTP_URL`).";
      };
      moderationAddress = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "Address moderation reports are mailed to (`PDS_MODERATION_EMAIL_ADDRESS`); goes with `moderationSmtpUrlFile`.";
      };
      moderationSmtpUrlFile = svc.mkSecretOption {
        description = "File holding the SMTP URL for moderation mail (`PDS_MODERATION_EMAIL_SMTP_URL`).";
      };
    };
    blobstore = {
      type = mkOption {
        type = types.enum [
          "disk"
          "s3"
        ];
        default = "disk";
        description = "Where blobs (images, video) are stored.";
      };
      disk.location = mkOption {
        type = types.str;
        default = "${dataDir}/blocks";
        description = "Blob directory (`PDS_BLOBSTORE_DISK_LOCATION`), inside the state directory by default as upstream's installer does.";
      };
      s3 = {
        bucket = mkOption {
          type = types.nullOr types.str;
          default = null;
          description = "S3 bucket (`PDS_BLOBSTORE_S3_BUCKET`).";
        };
        region = mkOption {
          type = types.nullOr types.str;
          default = null;
          description = "S3 region (`PDS_BLOBSTORE_S3_REGION`).";
        };
        endpoint = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "https://s3.eu-central-1.wasabisys.com";
          description = "S3 endpoint for a non-AWS provider (`PDS_BLOBSTORE_S3_ENDPOINT`).";
        };
        forcePathStyle = mkOption {
          type = types.nullOr types.bool;
          default = null;
          description = "Path-style bucket URLs (`PDS_BLOBSTORE_S3_FORCE_PATH_STYLE`), e.g. for MinIO.";
        };
        accessKeyIdFile = svc.mkSecretOption {
          description = "File holding the S3 access key id (`PDS_BLOBSTORE_S3_ACCESS_KEY_ID`).";
        };
        secretAccessKeyFile = svc.mkSecretOption {
          description = "File holding the S3 secret access key (`PDS_BLOBSTORE_S3_SECRET_ACCESS_KEY`).";
        };
      };
    };
    rateLimits = {
      enable = mkOption {
        type = types.bool;
        default = true;
        description = "Rate-limit the XRPC API (`PDS_RATE_LIMITS_ENABLED`). Upstream's default is off; a public PDS wants it on.";
      };
      bypassIps = mkOption {
        type = types.listOf types.str;
        default = [ ];
        description = "Addresses or CIDRs exempt from rate limits (`PDS_RATE_LIMIT_BYPASS_IPS`).";
      };
      bypassKeyFile = svc.mkSecretOption {
        description = "File holding a key that bypasses rate limits in the `x-ratelimit-bypass` header (`PDS_RATE_LIMIT_BYPASS_KEY`).";
      };
    };

    jwtSecretFile = svc.mkSecretOption {
      description = "File holding the JWT signing secret (`PDS_JWT_SECRET`). Null: generated at first start under ${dataDir}/secrets.";
    };
    adminPasswordFile = svc.mkSecretOption {
      description = "File holding the admin password (`PDS_ADMIN_PASSWORD`). Null: generated at first start under ${dataDir}/secrets.";
    };
    plcRotationKeyFile = svc.mkSecretOption {
      description = "File holding the PLC rotation key, a secp256k1 private key as 64 hex digits (`PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX`). Null: generated at first start under ${dataDir}/secrets.";
    };
    dpopSecretFile = svc.mkSecretOption {
      description = "File holding the OAuth DPoP nonce secret (`PDS_DPOP_SECRET`); upstream picks a random one per start when unset.";
    };

    settings = mkOption {
      default = { };
      description = ''
        Further environment variables of the PDS (packages/pds/src/config/env.ts),
        by name. Lists are joined with commas, booleans written `true`/`false`,
        null leaves a variable out. Never put secrets here: use the `*File`
        options or `environmentFiles`.
      '';
      example = {
        PDS_CONTACT_EMAIL_ADDRESS = "admin@example.com";
        PDS_BLOB_UPLOAD_LIMIT = 52428800;
      };
      type = types.submodule {
        freeformType = types.attrsOf (
          types.nullOr (
            types.oneOf [
              types.str
              types.int
              types.bool
              (types.listOf types.str)
            ]
          )
        );
        # The values of upstream's installer (bluesky-social/pds installer.sh).
        options = lib.mapAttrs (
          name: default:
          mkOption {
            type = types.nullOr (types.either types.str types.int);
            inherit default;
            description = "`${name}` (upstream installer's value).";
          }
        ) {
          PDS_BLOB_UPLOAD_LIMIT = 104857600;
          PDS_BSKY_APP_VIEW_URL = "https://api.bsky.app";
          PDS_BSKY_APP_VIEW_DID = "did:web:api.bsky.app";
          PDS_REPORT_SERVICE_URL = "https://mod.bsky.app";
          PDS_REPORT_SERVICE_DID = "did:plc:ar7c4by46qjdydhdevvrndac";
          LOG_ENABLED = "true";
        };
      };
    };
    environmentFiles = svc.mkEnvironmentFilesOption { name = "the PDS"; };

    backup = {
      enable = mkEnableOption ''
        daily backups of the PDS with restic (`services.restic.backups.pds`):
        an online SQLite backup of every database plus the blobs, keys and
        generated secrets (blobs in S3 are not included). Restore the latest
        snapshot with `systemctl start pds-restore` (docs/pds.md)
      '';
      repositoryFile = fileOption "/run/secrets/pds-restic-repository" "File holding the restic repository (a path, `sftp:…`, `s3:…`), outside the store.";
      passwordFile = fileOption "/run/secrets/pds-restic-password" "File holding the restic repository password, outside the store.";
      timerConfig = mkOption {
        type = types.attrsOf types.str;
        default = {
          OnCalendar = "daily";
          RandomizedDelaySec = "1h";
          Persistent = "true";
        };
        description = "When the backup runs (systemd.timer).";
      };
      pruneOpts = mkOption {
        type = types.listOf types.str;
        default = [
          "--keep-daily 7"
          "--keep-weekly 5"
          "--keep-monthly 12"
        ];
        description = "Snapshots kept (`restic forget --prune`).";
      };
    };

    proxy = {
      type = mkOption {
        type = types.nullOr (
          types.enum [
            "nginx"
            "caddy"
          ]
        );
        default = null;
        description = ''
          Reverse proxy in front of the PDS, for the hostname and every handle
          subdomain, with the websocket upgrade
          `com.atproto.sync.subscribeRepos` needs. `nginx` gets its
          certificate from ACME; handles below the hostname need a wildcard,
          which only DNS-01 (`acme.dnsProvider`) can get. `caddy` does what
          upstream's installer does: on-demand TLS, a certificate per handle
          when first asked for, after the PDS's `/tls-check` confirms the
          handle exists (no DNS-01 needed).
        '';
      };
      acme = {
        dnsProvider = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "cloudflare";
          description = "lego DNS provider for the certificate of the hostname and `*.<hostname>` (ACME DNS-01).";
        };
        credentialsFile = fileOption "/run/secrets/acme-cloudflare.env" "File of the DNS provider's credentials as `KEY=value` lines (lego's variables, e.g. `CF_DNS_API_TOKEN`), outside the store.";
      };
      useACMEHost = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "Use this existing `security.acme.certs` entry instead of requesting one (it must cover `*.<hostname>` when handles live below the hostname).";
      };
      openFirewall = mkOption {
        type = types.bool;
        default = true;
        description = "Open ports 80 and 443 for the proxy.";
      };
    };
  };

  config = mkIf cfg.enable (
    lib.mkMerge [
      (svc.mkService {
        inherit
          cfg
          opt
          utils
          unit
          ;
        description = "Bluesky Personal Data Server";
        stateDirectory = true;
        hardening = {
          jit = true; # V8 maps pages writable, then executable
        };
        credentials = lib.mapAttrs' (var: s: lib.nameValuePair (credName var) s.file) secrets;
        script = startScript;
        serviceConfig = {
          RuntimeDirectory = unit;
          RuntimeDirectoryMode = "0700";
          TimeoutStopSec = 30;
        }
        // lib.optionalAttrs (cfg.blobstore.type == "disk" && !lib.hasPrefix "${dataDir}/" cfg.blobstore.disk.location) {
          ReadWritePaths = [ cfg.blobstore.disk.location ]; # blobs kept outside the state directory
        };
        assertions = [
          {
            assertion = cfg.hostname != null;
            message = "${opt}.hostname is not set: set it to the PDS's public domain, e.g. \"pds.example.com\".";
          }
          {
            assertion = (cfg.email.fromAddress == null) == (cfg.email.smtpUrlFile == null);
            message = "${opt}.email: set both email.fromAddress (the sender) and email.smtpUrlFile (the SMTP URL), or neither; the PDS refuses a partial e-mail configuration.";
          }
          {
            assertion = (cfg.email.moderationAddress == null) == (cfg.email.moderationSmtpUrlFile == null);
            message = "${opt}.email: set both email.moderationAddress and email.moderationSmtpUrlFile, or neither.";
          }
          {
            assertion =
              cfg.blobstore.type == "s3"
              -> (s3.bucket != null && s3.accessKeyIdFile != null && s3.secretAccessKeyFile != null);
            message = "${opt}.blobstore.type = \"s3\" needs blobstore.s3.bucket and the credentials blobstore.s3.accessKeyIdFile and blobstore.s3.secretAccessKeyFile.";
          }
          {
            assertion = nginxOn && needsWildcard -> (n.acme.dnsProvider != null || n.useACMEHost != null);
            message = "${opt}.proxy.type = \"nginx\" serves handle subdomains (${lib.concatStringsSep ", " handleDomains}), which need a wildcard certificate: set ${opt}.proxy.acme.dnsProvider and proxy.acme.credentialsFile (ACME DNS-01), or proxy.useACMEHost.";
          }
          {
            assertion = caddyOn -> (n.acme.dnsProvider == null && n.useACMEHost == null);
            message = "${opt}.proxy.type = \"caddy\" gets certificates on demand: proxy.acme and proxy.useACMEHost are for nginx; unset them.";
          }
          {
            assertion = n.acme.dnsProvider != null -> n.acme.credentialsFile != null;
            message = "${opt}.proxy.acme.dnsProvider is set: also set proxy.acme.credentialsFile to the file holding the DNS provider's credentials.";
          }
          {
            assertion = b.enable -> !blobsOutside;
            message = "${opt}.backup covers the state directory ${dataDir}: keep blobstore.disk.location inside it (the default) or back ${cfg.blobstore.disk.location} up separately and leave backup.enable off.";
          }
          {
            assertion = b.enable -> (b.repositoryFile != null && b.passwordFile != null);
            message = "${opt}.backup.enable is set: also set ${opt}.backup.repositoryFile and ${opt}.backup.passwordFile (files holding the restic repository and its password).";
          }
          {
            assertion = !nixpkgsEnabled;
            message = "services.bluesky-pds (nixpkgs, port ${toString nixpkgsPort}) and ${opt} (port ${toString cfg.port}) are both enabled${lib.optionalString (nixpkgsPort == cfg.port) " on one port"}; they would also share ${dataDir}. Run one PDS per host: disable services.bluesky-pds (docs/pds.md says how to move over).";
          }
        ];
      })
      {
        systemd.services.${unit} = {
          inherit environment;
          path = [
            pkgs.openssl
            pkgs.coreutils
            pkgs.gnused
          ];
        };
        environment.systemPackages = [ pdsadmin ];
      }
      (mkIf b.enable {
        services.restic.backups.${unit} = {
          inherit (b) repositoryFile passwordFile pruneOpts;
          timerConfig = b.timerConfig;
          initialize = true;
          paths = [ snapshotDir ];
          backupPrepareCommand = "${pkgs.systemd}/bin/systemctl start ${unit}-backup-snapshot.service";
        };
        systemd.services."${unit}-backup-snapshot" = {
          description = "Consistent snapshot of the PDS state for restic";
          path = [
            pkgs.sqlite
            pkgs.gnutar
            pkgs.coreutils
            pkgs.findutils
          ];
          script = snapshotScript;
          serviceConfig =
            mkHardening { loopbackOnly = true; } # needs no network at all
            // {
              Type = "oneshot";
              # The PDS's own dynamic user (DynamicUser= gives one user name
              # one uid), so it reads the PDS's files without root.
              DynamicUser = true;
              User = unit;
              Group = unit;
              PrivateNetwork = true; # reads and writes local files only
              StateDirectory = [
                unit
                "${unit}-backup"
              ];
              StateDirectoryMode = "0700";
            }
            ;
        };
        systemd.services."${unit}-restore" = {
          description = "Restore the PDS state from the latest restic snapshot";
          path = [
            pkgs.restic
            pkgs.gnutar
            pkgs.coreutils
            pkgs.findutils
          ];
          script = restoreScript;
          serviceConfig =
            mkHardening { } # not loopbackOnly: the repository may be remote (sftp, S3)
            // {
              Type = "oneshot";
              # Root (no capabilities): the repository and its password are
              # root's, as restic backs up as root.
              ReadWritePaths = [ "/var/lib/private" ]; # unpacks beside the PDS's state directory and swaps it by renames
              LoadCredential = [
                "repository:${b.repositoryFile}"
                "password:${b.passwordFile}"
              ];
              # The PDS is stopped while its files are replaced, then started
              # again. "+": only the manager can stop and start units, not
              # this sandbox.
              ExecStartPre = "+${pkgs.systemd}/bin/systemctl stop ${unit}.service";
              ExecStartPost = "+${pkgs.systemd}/bin/systemctl start --no-block ${unit}.service";
            }
            ;
        };
      })
      (mkIf caddyOn {
        services.caddy = {
          enable = true;
          # Caddy asks before getting a certificate for a name: /tls-check
          # (bluesky-social/pds service/index.js, in nixpkgs' package)
          # answers 200 for the hostname and existing handles only.
          globalConfig = ''
            on_demand_tls {
              ask http://${svc.connectAddr cfg.listenAddress cfg.port}/tls-check
            }
          '';
          virtualHosts.${cfg.hostname} = {
            serverAliases = map (d: "*${d}") handleDomains;
            # reverse_proxy passes websocket upgrades through by itself.
            extraConfig = ''
              tls {
                on_demand
              }
              reverse_proxy ${svc.connectAddr cfg.listenAddress cfg.port}
            '';
          };
        };
        networking.firewall.allowedTCPPorts = lib.optionals n.openFirewall [
          80
          443
        ];
      })
      (mkIf nginxOn {
        services.nginx = {
          enable = true;
          virtualHosts.${cfg.hostname} = {
            serverAliases = lib.optional needsWildcard "*.${cfg.hostname}";
            # A certificate of our own through DNS-01 when a provider is set
            # (the only way to a wildcard), else nginx's HTTP-01 one.
            useACMEHost = if n.useACMEHost != null then n.useACMEHost else if dns01 then certName else null;
            enableACME = n.useACMEHost == null && !dns01;
            forceSSL = true;
            locations."/" = {
              proxyPass = "http://${svc.connectAddr cfg.listenAddress cfg.port}";
              # com.atproto.sync.subscribeRepos is a websocket.
              proxyWebsockets = true;
              recommendedProxySettings = true;
              # Blob uploads up to PDS_BLOB_UPLOAD_LIMIT.
              extraConfig = "client_max_body_size ${toString (cfg.settings.PDS_BLOB_UPLOAD_LIMIT or 104857600)};";
            };
          };
        };
        security.acme.certs = mkIf (n.useACMEHost == null && dns01) {
          ${certName} = {
            domain = cfg.hostname;
            extraDomainNames = lib.optional needsWildcard "*.${cfg.hostname}";
            inherit (n.acme) dnsProvider;
            environmentFile = n.acme.credentialsFile;
            group = config.services.nginx.group;
          };
        };
        networking.firewall.allowedTCPPorts = lib.optionals n.openFirewall [
          80
          443
        ];
      })
    ]
  );
}
