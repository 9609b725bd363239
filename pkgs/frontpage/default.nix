# The frontpage family: one package per service of likeandscribe/frontpage
# that atnix builds (./services.nix), all from the one pin in ./source.json.
# Today that is drainpipe alone; the Next.js app would join as another member
# (docs/apps.md says why it is not here). Names come from builtins only
# (pkgs/default.nix says why).
{ callPackage, lib }:
builtins.listToAttrs (
  map (service: {
    name = "frontpage-${service}";
    value = callPackage ./package.nix { inherit service; };
  }) (builtins.attrNames (import ./services.nix { inherit lib; }))
)
