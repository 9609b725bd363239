# The colmena hive: every host of hosts.nix with the atnix modules, the
# production profile and production.nix, plus what only colmena knows: where
# to deploy, tags per role, and the secrets it uploads (deployment.keys, into
# /run/keys; never into the Nix store). The files under ./secrets are yours
# to create, outside version control; ./db-ca.pem, the CA certificate of the
# PostgreSQL server, is public and goes into the store.
{ nixpkgs, atnix }:
let
  inherit (nixpkgs) lib;
  hosts = import ./hosts.nix;

  key = name: user: permissions: {
    ${name} = {
      # A user other than root exists only once the system is activated:
      # upload its keys after activation (on the first deployment, restart
      # the service after `colmena apply`, or apply twice).
      uploadAt = if user == "root" then "pre-activation" else "post-activation";
      # A string: colmena reads the file when it deploys; a path would be
      # copied into the store.
      keyFile = "${toString ./secrets}/${name}";
      inherit user permissions;
    };
  };
  keysFor =
    roles:
    lib.mkMerge (
      lib.optionals (lib.elem "database" roles) [
        (key "atnix-db-password" "root" "0400")
        (key "postgresql-server.crt" "postgres" "0400")
        (key "postgresql-server.key" "postgres" "0400")
      ]
      ++ lib.optionals (lib.elem "objectstore" roles) [ (key "garage.env" "root" "0400") ]
      ++ lib.optionals (lib.elem "app" roles) [
        (key "atnix-db-password" "root" "0400")
        (key "s3-access-key-id" "root" "0400")
        (key "s3-secret-access-key" "root" "0400")
        (key "relay-admin-password" "root" "0400")
      ]
      ++ lib.optionals (lib.elem "loadbalancer" roles) [
        (key "relay.example.com.pem" "haproxy" "0400")
      ]
    );
in
{
  meta = {
    nixpkgs = import nixpkgs { system = "x86_64-linux"; };
    description = "ATProto relay across five hosts (atnix profiles/production)";
  };

  defaults =
    { name, ... }:
    {
      imports = [
        atnix.nixosModules.default
        "${atnix}/profiles/production"
        ./production.nix
      ];
      networking.hostName = name;
      environment.etc."ssl/atnix-db-ca.pem".source = ./db-ca.pem;
      # /run/keys may be closed to all but the `keys` group (as NixOps made
      # it): let the services that read a key themselves in.
      users.users = lib.mkMerge [
        (lib.mkIf (lib.elem "database" hosts.${name}.roles) { postgres.extraGroups = [ "keys" ]; })
        (lib.mkIf (lib.elem "loadbalancer" hosts.${name}.roles) { haproxy.extraGroups = [ "keys" ]; })
      ];
      deployment = {
        targetHost = hosts.${name}.targetHost;
        tags = hosts.${name}.roles;
        keys = keysFor hosts.${name}.roles;
      };
    };
}
// lib.mapAttrs (_: _: { }) hosts
