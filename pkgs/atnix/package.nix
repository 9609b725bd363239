# Our own toolkit, built from this repository's workspace (no source.json: the
# source is local). Two outputs: `out` has `atnix`, wrapped with the programs
# it drives; `exporter` has `atproto-exporter` alone, so the exporter service
# does not pull git, nix and systemd into its closure. `atproto-exporter` in
# pkgs/default.nix exposes that output as a package of its own.
{
  lib,
  rustPlatform,
  makeBinaryWrapper,
  git,
  go,
  nix,
  systemd,
  testers,
}:
let
  workspace = lib.importTOML ../../Cargo.toml;
in
rustPlatform.buildRustPackage (finalAttrs: {
  pname = "atnix";
  inherit (workspace.workspace.package) version;

  src = lib.fileset.toSource {
    root = ../..;
    fileset = lib.fileset.unions [
      ../../Cargo.toml
      ../../Cargo.lock
      ../../crates
      # Tests read the repository itself: `atnix check` of this tree, the
      # modules' flags against tests/fixtures/help, the eval harness files.
      ../../lib
      ../../modules
      ../../pkgs
      ../../tests
    ];
  };

  # Every dependency is a crates.io crate with a checksum in Cargo.lock, so
  # the vendor directory comes from the lockfile alone; no cargoHash to keep.
  cargoLock.lockFile = ../../Cargo.lock;

  outputs = [
    "out"
    "exporter"
    # atnix-upgrade-guard alone: every unit with upgrade snapshots runs it, so
    # it must not pull git, go, nix and systemd into the service's closure.
    "guard"
  ];

  cargoBuildFlags = [
    "--package"
    "atnix"
    "--package"
    "atproto-exporter"
    "--package"
    "atnix-snapshot"
  ];
  cargoTestFlags = [ "--workspace" ];

  nativeBuildInputs = [ makeBinaryWrapper ];

  nativeCheckInputs = [
    git # atnix-prefetch tests build small git repositories
    nix # atnix-nar tests compare with nix-hash
  ];

  # The sandbox has no network (the vendor-hash vectors download the crates
  # and npm packages their lockfiles name) and no systemd to boot. Tests that
  # need one of these carry the word in their name (see CONTRIBUTING.md); CI
  # runs them, the package build skips them.
  checkFlags = [
    "--skip=network"
    "--skip=vectors"
    "--skip=systemd"
    # Runs the npm-installed PDS under tests/pds (node_modules is not in the source).
    "--skip=probes_a_real_pds"
  ];

  preCheck = ''
    export HOME="$(mktemp -d)"
  '';

  postInstall = ''
    moveToOutput bin/atproto-exporter "$exporter"
    moveToOutput bin/atnix-upgrade-guard "$guard"
    wrapProgram "$out/bin/atnix" \
      --prefix PATH : ${
        lib.makeBinPath [
          git
          # `vendor-hash go` runs `go mod vendor`; buildGoModule's own Go gives the same vendor/.
          go
          nix
          systemd
        ]
      }
  '';

  passthru.tests.version = testers.testVersion {
    package = finalAttrs.finalPackage;
    command = "atnix --version";
  };

  meta = {
    description = "AT Protocol on Nix: exact source pins, repository checks, module evaluation, hardening grades and health probes";
    homepage = "https://github.com/atnix/atnix";
    license = lib.licenses.mit;
    mainProgram = "atnix";
    platforms = lib.platforms.linux;
  };
})
