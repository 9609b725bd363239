# allegedly: PLC (did:plc directory) mirror, wrapper and backfill tools from
# microcosm. One crate; Cargo autodiscovers src/bin/{backfill,mirror,mod}.rs as
# extra binaries (mod.rs only panics), so only the `allegedly` binary is built.
{
  lib,
  rustPlatform,
  fetchSource,
  mkUpdateScript,
  pkg-config,
  openssl,
  testers,
}:

let
  source = lib.importJSON ./source.json;
in
rustPlatform.buildRustPackage {
  pname = "allegedly";
  inherit (source) version;

  src = fetchSource ./source.json;

  inherit (source) cargoHash;

  cargoBuildFlags = [
    "--bin"
    "allegedly"
  ];
  # Upstream's tests talk to plc.directory.
  doCheck = false;

  nativeBuildInputs = [ pkg-config ];
  # native-tls and postgres-native-tls link openssl.
  buildInputs = [ openssl ];

  passthru = {
    inherit source;
    updateScript = mkUpdateScript { package = "allegedly"; };
    # The VM test leaves module imports to its runner (the flake imports
    # every atnix module); here only the allegedly module is needed.
    tests.vm = testers.runNixOSTest {
      imports = [ ../../tests/nixos/allegedly.nix ];
      defaults.imports = [ ../../modules/allegedly.nix ];
    };
  };

  meta = {
    description = "Public ledger (PLC) server tools: mirror, wrap, backfill and bundle did:plc operations";
    homepage = "https://github.com/at-microcosm/allegedly";
    # Cargo.toml `license = "MIT OR Apache-2.0"`, LICENSE.MIT and LICENSE.Apache-2.0.
    license = with lib.licenses; [
      mit
      asl20
    ];
    mainProgram = "allegedly";
    platforms = lib.platforms.linux;
  };
}
