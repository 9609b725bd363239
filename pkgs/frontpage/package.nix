# One derivation per frontpage Rust service (lib/workspace-service.nix), built
# from the pinned frontpage repository (./source.json). The Cargo workspace and
# its Cargo.lock are at the repository root, so neither sourceRoot nor
# cargoRoot is needed.
#
# The pin is a sparse checkout (`sparseCheckout`: packages-rs and the
# top-level files): every source this build reads, and no more. The copy of
# the repository reachable where the pin was made lacks one large blob of the
# Next.js app (packages/frontpage/app/opengraph-image.png), so the whole
# tree's hash could not be computed; the sparse tree's could, exactly.
{
  lib,
  rustPlatform,
  buildWorkspaceService,
  fetchSource,
  mkUpdateScript,
  pkg-config,
  cmake,
  openssl,
  zstd,
  service,
}:

let
  source = lib.importJSON ./source.json;

  # Everything that differs between services: ./services.nix.
  svc = (import ./services.nix { inherit lib; }).${service};
in
buildWorkspaceService {
  inherit source service svc;
  pname = "frontpage-${service}";
  mainProgram = svc.bin;
  repository = "https://github.com/likeandscribe/frontpage";

  src = fetchSource ./source.json;
  inherit (source) cargoHash;

  # drainpipe binds its Prometheus listener to 0.0.0.0:9898, fixed in
  # src/main.rs. Read the address from DRAINPIPE_METRICS_LISTEN instead (the
  # module sets it; loopback by default), keeping upstream's port as the
  # fallback. --replace-fail: an upstream change to that line fails the build.
  postPatch = lib.optionalString (service == "drainpipe") ''
    substituteInPlace packages-rs/drainpipe/src/main.rs \
      --replace-fail 'SocketAddr::from(([0, 0, 0, 0], 9898))' \
        'std::env::var("DRAINPIPE_METRICS_LISTEN").map_or(Ok(SocketAddr::from(([127, 0, 0, 1], 9898))), |a| a.parse::<SocketAddr>())?'
  '';

  # Upstream has no tests.
  doCheck = false;

  nativeBuildInputs = [
    pkg-config
    # aws-lc-sys (rustls' provider, through metrics-exporter-prometheus' and
    # reqwest's hyper-rustls) builds its C sources with cmake.
    cmake
  ];

  buildInputs = [
    openssl
    zstd
  ];

  env = {
    # jetstream's tokio-tungstenite native-tls: nixpkgs' openssl.
    OPENSSL_NO_VENDOR = "1";
    # zstd-sys: link nixpkgs' zstd found through pkg-config.
    ZSTD_SYS_USE_PKG_CONFIG = "1";
  };

  vmTest = {
    test = ../../tests/nixos/frontpage-${service}.nix;
    module = ../../modules/frontpage/${service}.nix;
  };

  passthru.updateScript = mkUpdateScript { package = "frontpage"; };
}
