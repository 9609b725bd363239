# One derivation per microcosm service, all built from the same pinned
# microcosm-rs workspace (./source.json). Building each service on its own
# (`-p <crate> --bin <bin>`) keeps closures small (only ufos links jemalloc,
# only constellation links rocksdb, only pocket links sqlite) and lets a service
# be tested and rolled back alone; the vendored dependencies are one
# fixed-output derivation shared by all of them (same lockfile, same cargoHash,
# same cargoDepsName).
#
# `ufos/fuzz` is a workspace member that needs cargo-fuzz, so never build with
# `--workspace`.
{
  lib,
  rustPlatform,
  fetchFromGitHub,
  pkg-config,
  openssl,
  zstd,
  rocksdb_9_10,
  sqlite,
  testers,
  service,
}:

let
  source = lib.importJSON ./source.json;

  # Everything that differs between services, read from the workspace at the
  # pinned rev (`<crate>/Cargo.toml`, `<crate>/src/**`, `<crate>/LICENSE*`).
  services = {
    constellation = {
      crate = "constellation";
      # constellation's server binary is called `main` (src/bin/main.rs).
      bin = "main";
      description = "Global AT Protocol backlink index served as a JSON API";
      # constellation/LICENSE is the AGPL-3.0 text; LICENSE.future says it is
      # not available under MIT/Apache today.
      license = lib.licenses.agpl3Only;
      # librocksdb-sys 0.17.1+9.9.3 (rocksdb 0.23, default feature "rocks").
      rocksdb = true;
    };
    spacedust = {
      crate = "spacedust";
      bin = "spacedust";
      description = "Firehose of AT Protocol links (at-uris, DIDs, URLs) over a websocket";
      license = with lib.licenses; [
        mit
        asl20
      ];
    };
    slingshot = {
      crate = "slingshot";
      bin = "slingshot";
      description = "AT Protocol record and identity edge cache";
      license = with lib.licenses; [
        mit
        asl20
      ];
      # `/` is StaticFileEndpoint::new("./static/index.html"): relative to the
      # working directory, so ship the directory; the module points
      # WorkingDirectory at share/slingshot.
      static = true;
    };
    ufos = {
      crate = "ufos";
      bin = "ufos";
      description = "AT Protocol collection timeseries and statistics (UFOs)";
      license = with lib.licenses; [
        mit
        asl20
      ];
    };
    pocket = {
      crate = "pocket";
      bin = "pocket";
      description = "Personal-private AT Protocol data service (early development)";
      license = with lib.licenses; [
        mit
        asl20
      ];
      # Same relative ./static/index.html as slingshot.
      static = true;
      # rusqlite 0.37 without the `bundled` feature links the system sqlite.
      sqlite = true;
    };
  };

  svc = services.${service};
  rocksdb = rocksdb_9_10;
in
rustPlatform.buildRustPackage {
  pname = "microcosm-${service}";
  inherit (source) version;

  src = fetchFromGitHub {
    inherit (source)
      owner
      repo
      rev
      hash
      ;
  };

  # All services share one vendor derivation.
  cargoDepsName = "microcosm-rs";
  # The lockfile has git dependencies (fjall, jwt-compact, atrium); the
  # fetchCargoVendor behind cargoHash fetches them itself, so no outputHashes.
  cargoHash =
    source.cargoHash
      or (throw "pkgs/microcosm/source.json has no cargoHash yet: compute it with `atnix vendor-hash cargo` (see docs/microcosm.md)");

  cargoBuildFlags = [
    "-p"
    svc.crate
    "--bin"
    svc.bin
  ];
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

  postInstall =
    lib.optionalString (svc.bin != service) ''
      mv $out/bin/${svc.bin} $out/bin/${service}
    ''
    + lib.optionalString (svc.static or false) ''
      mkdir -p $out/share/${service}
      cp -r ${svc.crate}/static $out/share/${service}/static
    '';

  passthru = {
    inherit source service;
    updateScript = ./update.sh;
    # The VM test files leave module imports to their runner (the flake
    # imports every atnix module); here only this service's module is needed.
    tests.vm = testers.runNixOSTest {
      imports = [ ../../tests/nixos/microcosm-${service}.nix ];
      defaults.imports = [ ../../modules/microcosm/${service}.nix ];
    };
  };

  meta = {
    inherit (svc) description license;
    homepage = "https://github.com/at-microcosm/microcosm-rs/tree/${source.rev}/${svc.crate}";
    mainProgram = service;
    platforms = lib.platforms.linux;
    # The cargoHash needs fjall's full checkout at the locked commit, which
    # could not be reached where this pin was made (docs/microcosm.md). Until
    # `atnix vendor-hash cargo` fills it in, the packages say so instead of
    # failing in the middle of a build.
    broken = !(source ? cargoHash);
  };
}
