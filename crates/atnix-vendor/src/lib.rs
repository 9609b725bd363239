//! cargoHash and npmDepsHash computed from lockfiles without Nix
