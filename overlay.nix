# Adds the atnix packages to a nixpkgs package set.
final: _prev: import ./pkgs { pkgs = final; }
