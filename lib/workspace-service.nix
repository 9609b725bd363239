# One service of a pinned Rust workspace as its own package: what the
# families under pkgs/ that build a service per derivation (microcosm, rsky)
# share. Building each service alone (`-p <crate> --bin <bin>`) keeps closures
# small and lets a service be tested and rolled back alone; every service of a
# family vendors the same crates, so their vendor derivation is shared.
#
#   buildWorkspaceService {
#     source,              # the family's source.json, imported
#     service, svc,        # the service's name and its services.nix entry
#                          # (crate, bin, description, license; dir when
#                          # the crate's folder is not named after it)
#     pname, mainProgram,  # the binary is installed as mainProgram
#     repository,          # upstream URL; meta.homepage is its crate at the pin
#     vmTest ? null,       # { test = <tests/nixos file>; module = <module>; }
#     ...                  # anything else goes to buildRustPackage; postInstall
#                          # and passthru are appended to / merged over ours
#   }
{
  lib,
  rustPlatform,
  testers,
}:
{
  source,
  service,
  svc,
  pname,
  mainProgram,
  repository,
  vmTest ? null,
  postInstall ? "",
  passthru ? { },
  ...
}@args:
rustPlatform.buildRustPackage (
  removeAttrs args [
    "source"
    "service"
    "svc"
    "mainProgram"
    "repository"
    "vmTest"
  ]
  // {
    inherit pname;
    inherit (source) version;

    cargoBuildFlags = [
      "-p"
      svc.crate
      "--bin"
      svc.bin
    ];

    postInstall =
      lib.optionalString (svc.bin != mainProgram) ''
        mv $out/bin/${svc.bin} $out/bin/${mainProgram}
      ''
      + postInstall;

    passthru = {
      inherit source service;
    }
    // lib.optionalAttrs (vmTest != null) {
      # The VM test files leave module imports to their runner (the flake
      # imports every atnix module); here only this service's module is
      # needed.
      tests.vm = testers.runNixOSTest {
        imports = [ vmTest.test ];
        defaults.imports = [ vmTest.module ];
      };
    }
    // passthru;

    meta = {
      inherit (svc) description license;
      homepage = "${repository}/tree/${source.rev}/${svc.dir or svc.crate}";
      inherit mainProgram;
      platforms = lib.platforms.linux;
    };
  }
)
