# atproto-exporter is built together with atnix (crates/atproto-exporter in
# this workspace); pkgs/atnix/exporter.nix makes it a package of its own.
import ../atnix/exporter.nix
