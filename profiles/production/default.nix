# production: ATProto services across machines (docs/production.md). One
# profile for every host; the roles a host plays come from
# atnix.production.hosts.<networking.hostName>.roles:
#
#   database     PostgreSQL for the app nodes, TLS, one database each
#   objectstore  Garage, S3 for blobs and backups
#   app          indigo's relay, its own database on the shared server
#   loadbalancer HAProxy: health-checked, websocket-aware for the firehose
#   monitoring   Prometheus with our alert rules, Alertmanager
#
# and every host runs the exporter on the private network. Everything is
# lib.mkDefault, except the listen addresses and TLS settings, which a
# profile should not leave weaker by accident. Each role is also a profile of
# its own (production-<role>) for hosts that import only what they play.
{
  imports = [
    ./common.nix
    ./database.nix
    ./objectstore.nix
    ./app.nix
    ./loadbalancer.nix
    ./monitoring.nix
  ];
}
