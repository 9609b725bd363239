# One derivation per teal service (lib/workspace-service.nix), all built from
# the same pinned teal workspace (./source.json) and the one cargoHash computed
# from its Cargo.lock (`atnix vendor-hash cargo`): the lockfile has no git
# dependencies, so the vendored crates are one fixed-output derivation shared
# by every service.
#
# The source is fetchgit with submodules: lexicons/{app,chat,com,tools} are
# symlinks into the vendor/atproto submodule (bluesky-social/atproto). The
# workspace's `types` crate has no sources in git; upstream generates them from
# lexicons/ with jacquard-codegen (scripts: `pnpm lex:gen --rust-only`), which
# postPatch does here. sqlx's query! macros read the committed .sqlx/ offline
# data (SQLX_OFFLINE), so no database is needed to build.
{
  lib,
  buildWorkspaceService,
  fetchSource,
  mkUpdateScript,
  cmake,
  rustPlatform,
  jacquard-lexgen,
  service,
}:

let
  source = lib.importJSON ./source.json;

  # Everything that differs between services: ./services.nix.
  svc = (import ./services.nix { inherit lib; }).${service};
in
buildWorkspaceService {
  inherit source service svc;
  pname = "teal-${service}";
  # The binary is installed under the service's name, so every package's
  # mainProgram is `teal-<service>`.
  mainProgram = "teal-${service}";
  repository = "https://github.com/teal-fm/teal";

  src = fetchSource ./source.json;
  inherit (source) cargoHash;

  postPatch = ''
    jacquard-codegen --input lexicons --output services/types/src
  ''
  + lib.optionalString (svc ? listen) ''
    # Upstream binds a wildcard address, fixed at compile time; read it from
    # ${svc.listen.variable} instead (unset: upstream's address), so the module
    # can keep the service on loopback.
    substituteInPlace ${svc.listen.file} --replace-fail ${lib.escapeShellArg svc.listen.from} ${lib.escapeShellArg svc.listen.to}
  '';

  env.SQLX_OFFLINE = "true";

  # Upstream's tests need PostgreSQL or the network.
  doCheck = false;

  nativeBuildInputs = [
    jacquard-lexgen
    # aws-lc-sys (rustls' default provider) builds its C sources with cmake.
    cmake
    rustPlatform.bindgenHook
  ];

  # Upstream applies these with `sqlx migrate run` (package.json's db:migrate),
  # not at start; the modules' pre-start does the same from here.
  postInstall = ''
    mkdir -p $out/share/teal
    cp -r migrations $out/share/teal/migrations
  '';

  vmTest =
    if builtins.pathExists ../../tests/nixos/teal-${service}.nix then
      {
        test = ../../tests/nixos/teal-${service}.nix;
        module = ../../modules/teal/${service}.nix;
      }
    else
      null;

  passthru.updateScript = mkUpdateScript { package = "teal"; };
}
