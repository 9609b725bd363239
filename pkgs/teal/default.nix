# The teal family: one package per Rust service of the teal.fm workspace
# (./services.nix), all from the one pin in ./source.json. Names come from
# builtins only (pkgs/default.nix says why).
{ callPackage, lib }:
builtins.listToAttrs (
  map (service: {
    name = "teal-${service}";
    value = callPackage ./package.nix { inherit service; };
  }) (builtins.attrNames (import ./services.nix { inherit lib; }))
)
