# The stub NixOS option declarations the harness evaluates every module with.
[
  ./misc.nix
  ./systemd.nix
  ./users.nix
  ./networking.nix
  ./nginx-acme.nix
  ./postgresql-prometheus.nix
  ./bluesky-pds.nix
  ./restic.nix
  ./grafana-journald.nix
  ./caddy.nix
  ./haproxy-garage-alertmanager.nix
]
