# `atproto-exporter` as a package of its own: the `exporter` output of the
# atnix build (built once, together with atnix), with its own meta so that
# `lib.getExe` and `mkPackageOption` name the right binary.
{
  lib,
  callPackage,
  runCommand,
  atnix ? callPackage ./package.nix { },
}:
runCommand "atproto-exporter-${atnix.version}"
  {
    inherit (atnix) version;
    passthru = { inherit atnix; };
    meta = {
      description = "Prometheus exporter probing ATProto services (PDS, relay, jetstream, PLC, labeler, feed generator, handle)";
      homepage = "https://github.com/atnix/atnix";
      license = lib.licenses.mit;
      mainProgram = "atproto-exporter";
      platforms = lib.platforms.linux;
    };
  }
  ''
    mkdir -p "$out/bin"
    ln -s ${lib.getExe' atnix.exporter "atproto-exporter"} "$out/bin/atproto-exporter"
  ''
