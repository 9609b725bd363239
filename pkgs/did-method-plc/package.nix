# did-method-plc: the reference did:plc directory server (packages/server of
# did-method-plc/did-method-plc), the one plc.directory runs. A yarn v1
# workspace (packages/lib and packages/server); its yarn.lock is hashed with
# `atnix vendor-hash yarn` (yarnDepsHash, nixpkgs' fetchYarnDeps).
#
# `yarn build` runs each workspace's build.js: esbuild bundles
# packages/server/src/bin.ts with every dependency into dist/bin.js (only the
# optional pg-native stays out), so the package installs that bundle and
# node, not node_modules. bin.ts is upstream's own entry point: it reads
# DATABASE_URL (PostgreSQL; without it an in-memory mock), applies the
# migrations, starts the sequencer and listens on PORT (default 2582).
# Upstream's Docker image runs service/index.js instead, which only adds
# dd-trace and separate migration credentials.
{
  lib,
  stdenv,
  fetchSource,
  fetchYarnDeps,
  yarnConfigHook,
  yarnBuildHook,
  nodejs,
  makeWrapper,
  mkUpdateScript,
  testers,
}:

let
  source = lib.importJSON ./source.json;
in
stdenv.mkDerivation (finalAttrs: {
  pname = "did-method-plc";
  inherit (source) version;

  src = fetchSource ./source.json;

  yarnOfflineCache = fetchYarnDeps {
    yarnLock = "${finalAttrs.src}/yarn.lock";
    hash = source.yarnDepsHash;
  };

  nativeBuildInputs = [
    yarnConfigHook
    yarnBuildHook
    nodejs
    makeWrapper
  ];

  installPhase = ''
    runHook preInstall
    mkdir -p $out/lib/did-method-plc $out/bin
    cp packages/server/dist/bin.js packages/server/dist/bin.js.map $out/lib/did-method-plc/
    makeWrapper ${lib.getExe nodejs} $out/bin/plc-server \
      --add-flags "--enable-source-maps $out/lib/did-method-plc/bin.js" \
      --set-default NODE_ENV production
    runHook postInstall
  '';

  passthru = {
    inherit source;
    updateScript = mkUpdateScript { package = "did-method-plc"; };
    tests.vm = testers.runNixOSTest {
      imports = [ ../../tests/nixos/bluesky-plc.nix ];
      defaults.imports = [ ../../modules/bluesky/plc.nix ];
    };
  };

  meta = {
    description = "Reference did:plc directory server, as run by plc.directory";
    homepage = "https://github.com/did-method-plc/did-method-plc";
    # LICENSE: MIT or Apache-2.0, at the user's option.
    license = with lib.licenses; [
      mit
      asl20
    ];
    mainProgram = "plc-server";
    platforms = lib.platforms.linux;
  };
})
