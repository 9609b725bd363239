# Every NixOS module we ship, by the name it has in `nixosModules`. Paths, not
# functions, as NUR requires. Found by convention, so adding a service means
# adding its file:
#   modules/<name>.nix           -> <name>
#   modules/<family>/<app>.nix   -> <family>-<app>   (services.<family>.<app>)
let
  inherit (builtins)
    attrNames
    filter
    listToAttrs
    match
    readDir
    concatMap
    ;
  nixFiles =
    dir:
    map (f: builtins.head (match "(.*)\\.nix" f)) (
      filter (f: (readDir dir).${f} == "regular" && match ".*\\.nix" f != null && f != "default.nix") (
        attrNames (readDir dir)
      )
    );
  entries = readDir ./.;
  top = map (name: {
    inherit name;
    value = ./. + "/${name}.nix";
  }) (nixFiles ./.);
  families = concatMap (
    family:
    map (app: {
      name = "${family}-${app}";
      value = ./. + "/${family}/${app}.nix";
    }) (nixFiles (./. + "/${family}"))
  ) (filter (e: entries.${e} == "directory") (attrNames entries));
in
listToAttrs (top ++ families)
