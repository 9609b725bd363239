# profiles/production, role `database`: NixOS' PostgreSQL on the private
# address, TLS only for the app nodes, one role and database per app node
# (`relay_<host>`, see docs/production.md for why the relays do not share
# one), passwords (scram-sha-256) set from a file at every start.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkDefault;
  cfg = config.atnix.production;
  db = cfg.database;
  topo = import ./topology.nix { inherit lib cfg; };
  tls = db.sslMode != "disable";
  apps = lib.mapAttrsToList (name: h: {
    inherit (h) address;
    database = topo.relayDatabase name;
  }) topo.appHosts;
  mkHardening = import ../../lib/hardening.nix { inherit lib; };
  psql = "${config.services.postgresql.package}/bin/psql";

  # ALTER ROLE ... PASSWORD from the credential: psql reads the file itself
  # (\set with backticks), so the password is never in an argv or the store.
  setPasswords = pkgs.writeShellScript "atnix-production-db-passwords" ''
    set -eu
    for role in ${lib.escapeShellArgs (map (a: a.database) apps)}; do
      ${psql} --port=${toString config.services.postgresql.settings.port} -d postgres \
        -v ON_ERROR_STOP=1 -v role="$role" <<'SQL'
    \set pw `cat "$CREDENTIALS_DIRECTORY/db-password"`
    ALTER ROLE :"role" PASSWORD :'pw';
    SQL
      echo "password set for $role"
    done
  '';
in
{
  imports = [ ./common.nix ];

  config = lib.mkIf (topo.has "database") {
    assertions = [
      {
        assertion = tls -> db.server.certificateFile != null && db.server.keyFile != null;
        message = "atnix.production.database.sslMode = \"${db.sslMode}\" makes the app nodes require TLS: set atnix.production.database.server.certificateFile and keyFile on the database host, or sslMode = \"disable\".";
      }
      {
        assertion = apps != [ ] -> db.passwordFile != null;
        message = "the database host sets the app nodes' PostgreSQL passwords: set atnix.production.database.passwordFile.";
      }
      {
        assertion = db.server.maxConnections >= topo.appCount * db.maxConnections + 3;
        message = "atnix.production.database.server.maxConnections (${toString db.server.maxConnections}) cannot hold ${toString topo.appCount} app node pools of ${toString db.maxConnections} plus PostgreSQL's 3 reserved connections: raise server.maxConnections or lower database.maxConnections.";
      }
    ];

    services.postgresql = {
      enable = mkDefault true;
      ensureDatabases = map (a: a.database) apps;
      ensureUsers = map (a: {
        name = a.database;
        ensureDBOwnership = true;
      }) apps;
      # Each app node reaches its own database only, from its own address.
      authentication = lib.concatMapStrings (a: ''
        ${if tls then "hostssl" else "host   "} ${a.database} ${a.database} ${a.address}/32 scram-sha-256
      '') apps;
      settings = {
        port = mkDefault db.port;
        # postgresql.nix sets listen_addresses plainly ("localhost", or "*"
        # with enableTCPIP): the private address only, not every interface.
        listen_addresses = lib.mkForce "localhost,${topo.this.address}";
        max_connections = mkDefault db.server.maxConnections;
        password_encryption = "scram-sha-256";
      }
      // lib.optionalAttrs tls {
        ssl = true;
        ssl_cert_file = "${db.server.certificateFile}";
        ssl_key_file = db.server.keyFile;
        ssl_min_protocol_version = "TLSv1.2";
      };
    };

    systemd.services.atnix-production-db-passwords = lib.mkIf (apps != [ ] && db.passwordFile != null) {
      description = "Set the app nodes' PostgreSQL passwords";
      after = [ "postgresql.service" ];
      requires = [ "postgresql.service" ];
      # Restarted with PostgreSQL, so the passwords are set after every start.
      partOf = [ "postgresql.service" ];
      wantedBy = [ "multi-user.target" ];
      serviceConfig = mkHardening { } // {
        Type = "oneshot";
        RemainAfterExit = true;
        # Peer authentication over the socket as the superuser role.
        User = "postgres";
        Group = "postgres";
        LoadCredential = [ "db-password:${db.passwordFile}" ];
        ExecStart = setPasswords;
        # RemoveIPC would delete the server's shared memory, also owned by
        # postgres, when this unit stops.
        RemoveIPC = false;
        # Only the local socket.
        RestrictAddressFamilies = [ "AF_UNIX" ];
        IPAddressDeny = "any";
        PrivateNetwork = true;
      };
    };

    networking.firewall.interfaces = topo.openPrivate [ config.services.postgresql.settings.port ];
  };
}
