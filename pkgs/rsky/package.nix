# One derivation per rsky service, all built from the same pinned rsky
# workspace (./source.json) and the one cargoHash computed from its
# Cargo.lock (`atnix vendor-hash cargo`): the lockfile has no git
# dependencies, so the vendored crates are one fixed-output derivation shared
# by every service. Building each service alone (`-p <crate> --bin <bin>`)
# keeps closures small and lets a service be tested and rolled back alone.
#
# rsky-satnav is a wasm (dioxus) workspace member: never build with
# `--workspace`.
{
  lib,
  rustPlatform,
  fetchSource,
  mkUpdateScript,
  pkg-config,
  cmake,
  openssl,
  postgresql,
  testers,
  service,
}:

let
  source = lib.importJSON ./source.json;

  # Everything that differs between services: ./services.nix.
  svc = (import ./services.nix { inherit lib; }).${service};
in
rustPlatform.buildRustPackage {
  pname = "rsky-${service}";
  inherit (source) version;

  src = fetchSource ./source.json;
  inherit (source) cargoHash;

  cargoBuildFlags = [
    "-p"
    svc.crate
    "--bin"
    svc.bin
  ];
  # Upstream's tests need PostgreSQL, network or fixtures outside the crate.
  doCheck = false;

  nativeBuildInputs = [
    pkg-config
    # aws-lc-sys (rustls' default provider, pulled in by the AWS SDK and
    # hyper-rustls) builds its C sources with cmake.
    cmake
    rustPlatform.bindgenHook
  ];

  buildInputs = [ openssl ] ++ lib.optionals (svc.libpq or false) [ postgresql ];

  # reqwest's native-tls: nixpkgs' openssl, not a vendored build.
  env.OPENSSL_NO_VENDOR = "1";

  # The binary is installed under the service's name, so every package's
  # mainProgram is `rsky-<service>`.
  postInstall =
    lib.optionalString (svc.bin != "rsky-${service}") ''
      mv $out/bin/${svc.bin} $out/bin/rsky-${service}
    ''
    + lib.optionalString (svc.migrations or false) ''
      mkdir -p $out/share/rsky-${service}
      cp -r ${svc.crate}/migrations $out/share/rsky-${service}/migrations
    '';

  passthru = {
    inherit source service;
    updateScript = mkUpdateScript {
      source = "pkgs/rsky/source.json";
      vendor = "cargo";
    };
  }
  // lib.optionalAttrs (builtins.pathExists ../../tests/nixos/blacksky-${service}.nix) {
    # The VM test files leave module imports to their runner (the flake
    # imports every atnix module); here only this service's module is needed.
    tests.vm = testers.runNixOSTest {
      imports = [ ../../tests/nixos/blacksky-${service}.nix ];
      defaults.imports = [ ../../modules/blacksky/${service}.nix ];
    };
  };

  meta = {
    inherit (svc) description license;
    homepage = "https://github.com/blacksky-algorithms/rsky/tree/${source.rev}/${svc.crate}";
    mainProgram = "rsky-${service}";
    platforms = lib.platforms.linux;
  };
}
