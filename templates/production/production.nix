# The configuration every host gets (colmena's `defaults` in hive.nix): the
# hosts table, where the secrets are (uploaded by colmena to /run/keys, see
# hive.nix), and the private network. Each host finds its roles by its name.
# hive.nix imports the atnix modules and the profile beside it; the atnix
# repository evaluates each host the same way (tests/eval/cases/production.nix).
{ lib, ... }:
let
  hosts = import ./hosts.nix;
in
{
  atnix.production = {
    hosts = lib.mapAttrs (_: h: { inherit (h) address roles; }) hosts;
    privateInterface = "eth1";
    database = {
      # The CA of the server certificate, which must name the address the app
      # nodes connect to (sslmode verify-full); hive.nix puts it there.
      # World-readable: the relays run as dynamic users.
      caFile = "/etc/ssl/atnix-db-ca.pem";
      passwordFile = "/run/keys/atnix-db-password";
      server = {
        certificateFile = "/run/keys/postgresql-server.crt";
        keyFile = "/run/keys/postgresql-server.key";
      };
    };
    objectStore = {
      accessKeyIdFile = "/run/keys/s3-access-key-id";
      secretAccessKeyFile = "/run/keys/s3-secret-access-key";
      server.environmentFile = "/run/keys/garage.env";
    };
    loadBalancer.tlsCertificateFile = "/run/keys/relay.example.com.pem";
  };

  services.bluesky.relay = {
    # Answer the public requestCrawl; admin actions need the password.
    adminPasswordFile = "/run/keys/relay-admin-password";
  };

  system.stateVersion = "25.11";
}
