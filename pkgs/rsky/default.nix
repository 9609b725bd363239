# The rsky family: one package per deployable service of the rsky workspace
# (./services.nix), all from the one pin in ./source.json. Names come from
# builtins only (pkgs/default.nix says why).
{ callPackage, lib }:
builtins.listToAttrs (
  map (service: {
    name = "rsky-${service}";
    value = callPackage ./package.nix { inherit service; };
  }) (builtins.attrNames (import ./services.nix { inherit lib; }))
)
