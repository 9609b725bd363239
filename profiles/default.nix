# Profiles: plain NixOS configuration (mostly lib.mkDefault values) combining
# our modules for a whole deployment, by name -> path. Each expects every
# atnix module to be imported (nixosModules.default); evaluation cases in
# tests/eval/cases/<name>.nix, VM tests in tests/nixos/<name>.nix.
{
  simple-pds = ./simple-pds.nix;
  managed-pds = ./managed-pds.nix;
  enterprise-pds = ./enterprise-pds.nix;
  dev = ./dev.nix;
  # Across machines: one profile with every role, or one role per profile.
  production = ./production;
  production-database = ./production/database.nix;
  production-objectstore = ./production/objectstore.nix;
  production-app = ./production/app.nix;
  production-loadbalancer = ./production/loadbalancer.nix;
  production-monitoring = ./production/monitoring.nix;
}
