# What every teal service shares: one PostgreSQL database. teal's services
# are one application over one schema (upstream's compose.yaml gives them all
# the same DATABASE_URL): cadet writes plays, profiles and statuses, aqua,
# satellite and the status API read them. So the local database is `teal`,
# owned by the role `teal`, and each service keeps a system user of its own
# (`teal-<app>`) that pg_ident maps to that role: peer authentication over
# /run/postgresql, no password anywhere.
#
# Migrations: upstream applies migrations/ with `sqlx migrate run`
# (package.json's db:migrate; the sqlx::migrate! calls in the services' db.rs
# are commented out). Each service's pre-start does the same with nixpkgs'
# sqlx-cli, from the migrations its package ships: sqlx takes an advisory lock
# and records what it applied in _sqlx_migrations, so several services
# starting at once, and every restart, are safe.
#
# Not a module: modules/default.nix only takes the .nix files directly under
# modules/teal.
{
  lib,
  pkgs,
  svc,
}:
let
  inherit (lib) mkOption types;
  name = "teal";
  url = "postgres:///${name}?host=/run/postgresql&user=${name}";
in
{
  options = {
    database.createLocally = mkOption {
      type = types.bool;
      default = true;
      description = ''
        Use the database `${name}` in the local `services.postgresql`
        (created with its owner role `${name}`), shared by every teal service
        on this host: the unit's own user is mapped to that role (pg_ident),
        over the socket, without a password. False: put `DATABASE_URL` in one
        of `environmentFiles`.
      '';
    };
  };

  # mkService arguments.
  service = cfg: opt: unit: {
    # pg_ident names this user.
    staticUser = true;
    assertions = [ (svc.createLocallyAssertion { inherit cfg opt; }) ];
    preStart = ''
      ${lib.getExe' pkgs.sqlx-cli "sqlx"} migrate run \
        --source ${cfg.package}/share/teal/migrations \
        --database-url "$DATABASE_URL"
    '';
  };

  config =
    cfg: unit:
    lib.mkIf cfg.database.createLocally {
      services.postgresql = {
        enable = true;
        ensureDatabases = [ name ];
        ensureUsers = [
          {
            inherit name;
            ensureDBOwnership = true;
          }
        ];
        identMap = ''
          ${name} ${unit} ${name}
        '';
        # Before NixOS' defaults (`local all all peer`): the first line that
        # matches decides.
        authentication = ''
          local ${name} ${name} peer map=${name}
        '';
      };
      systemd.services.${unit} = {
        environment.DATABASE_URL = url;
        requires = [ "postgresql.service" ];
        after = [ "postgresql.service" ];
      };
    };
}
