# One derivation per microcosm service (lib/workspace-service.nix), all built
# from the same pinned microcosm-rs workspace (./source.json). Building each
# service on its own keeps closures small (only ufos links jemalloc,
# only constellation links rocksdb, only pocket links sqlite) and lets a service
# be tested and rolled back alone; the vendored dependencies come from the one
# lockfile beside this file and are the same derivation for all of them.
#
# `ufos/fuzz` is a workspace member that needs cargo-fuzz, so never build with
# `--workspace`.
{
  lib,
  rustPlatform,
  buildWorkspaceService,
  fetchSource,
  mkUpdateScript,
  pkg-config,
  openssl,
  zstd,
  rocksdb_9_10,
  sqlite,
  service,
}:

let
  source = lib.importJSON ./source.json;

  # Everything that differs between services: ./services.nix.
  svc = (import ./services.nix { inherit lib; }).${service};
  rocksdb = rocksdb_9_10;
in
buildWorkspaceService {
  inherit source service svc;
  pname = "microcosm-${service}";
  mainProgram = service;
  repository = "https://github.com/at-microcosm/microcosm-rs";

  src = fetchSource ./source.json;

  # Upstream's Cargo.lock at the pinned rev, kept beside the package (data),
  # so the vendored crates need no cargoHash: a cargoHash covers fjall's git
  # checkout too, and the copy of fjall-rs/fjall reachable where this pin was
  # made lacks blobs of the locked commit, so it could not be computed.
  cargoLock = {
    lockFile = ./Cargo.lock;
    # fetchgit hashes of the git dependencies at their locked commits
    # (./cargo-git-hashes.json), from `atnix prefetch <repo> --rev <commit>
    # --checkout`: uniphil/atrium 80a355991ac9b48ba3f559d12aac74f071fc638c and
    # fatfingers23/jwt-compact aed088b8ff5ad44ef2785c453f6a4b7916728b1c,
    # neither with submodules. One entry per repository: importCargoLock keys
    # them by commit, so atrium-api stands for all atrium-* crates.
    outputHashes = lib.importJSON ./cargo-git-hashes.json;
    # fjall (fjall-rs/fjall fb229572bb7d1d6966a596994dc1708e47ec57d8) has no
    # hash computable here (see above), so Nix fetches it with builtins.fetchGit
    # at that commit. A commit rev is an exact pin: the content cannot change.
    allowBuiltinFetchGit = true;
  };

  # Upstream's tests need network (jetstream) or fixtures outside the crate.
  doCheck = false;

  nativeBuildInputs = [
    pkg-config
    # bindgen (librocksdb-sys, zstd-sys) needs libclang.
    rustPlatform.bindgenHook
  ];

  buildInputs = [
    openssl
    zstd
  ]
  ++ lib.optionals (svc.rocksdb or false) [ rocksdb ]
  ++ lib.optionals (svc.sqlite or false) [ sqlite ];

  env = {
    # jetstream's tokio-tungstenite asks for `native-tls-vendored`; use nixpkgs'
    # openssl instead of building openssl-src.
    OPENSSL_NO_VENDOR = "1";
    # zstd-sys: link nixpkgs' zstd found through pkg-config.
    ZSTD_SYS_USE_PKG_CONFIG = "1";
  }
  // lib.optionalAttrs (svc.rocksdb or false) {
    # librocksdb-sys links this rocksdb dynamically instead of compiling its
    # bundled copy; 9.10 matches the 9.9 C API the crate was generated for.
    ROCKSDB_INCLUDE_DIR = "${rocksdb}/include";
    ROCKSDB_LIB_DIR = "${rocksdb}/lib";
  };

  postInstall = lib.optionalString (svc.static or false) ''
    mkdir -p $out/share/${service}
    cp -r ${svc.crate}/static $out/share/${service}/static
  '';

  vmTest = {
    test = ../../tests/nixos/microcosm-${service}.nix;
    module = ../../modules/microcosm/${service}.nix;
  };

  passthru = {
    # fjall comes from builtins.fetchGit while evaluating (cargoLock above):
    # NUR's restricted evaluation refuses that, so default.nix exports these
    # packages under `unrestricted`.
    fetchesAtEvaluation = true;
    updateScript = mkUpdateScript { package = "microcosm"; };
  };
}
