# One derivation per rsky service (lib/workspace-service.nix), all built from
# the same pinned rsky workspace (./source.json) and the one cargoHash
# computed from its Cargo.lock (`atnix vendor-hash cargo`): the lockfile has
# no git dependencies, so the vendored crates are one fixed-output derivation
# shared by every service.
#
# rsky-satnav is a wasm (dioxus) workspace member: never build with
# `--workspace`.
{
  lib,
  rustPlatform,
  buildWorkspaceService,
  fetchSource,
  mkUpdateScript,
  pkg-config,
  cmake,
  openssl,
  postgresql,
  service,
}:

let
  source = lib.importJSON ./source.json;

  # Everything that differs between services: ./services.nix.
  svc = (import ./services.nix { inherit lib; }).${service};
in
buildWorkspaceService {
  inherit source service svc;
  pname = "rsky-${service}";
  # The binary is installed under the service's name, so every package's
  # mainProgram is `rsky-<service>`.
  mainProgram = "rsky-${service}";
  repository = "https://github.com/blacksky-algorithms/rsky";

  src = fetchSource ./source.json;
  inherit (source) cargoHash;

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

  postInstall =
    lib.optionalString (svc.migrations or false) ''
      mkdir -p $out/share/rsky-${service}
      cp -r ${svc.crate}/migrations $out/share/rsky-${service}/migrations
    ''
    + lib.concatMapStrings (file: ''
      install -Dm0644 ${svc.crate}/${file} $out/share/rsky-${service}/${file}
    '') (svc.share or [ ]);

  vmTest =
    if builtins.pathExists ../../tests/nixos/blacksky-${service}.nix then
      {
        test = ../../tests/nixos/blacksky-${service}.nix;
        module = ../../modules/blacksky/${service}.nix;
      }
    else
      null;

  passthru.updateScript = mkUpdateScript {
    source = "pkgs/rsky/source.json";
    vendor = "cargo";
  };
}
