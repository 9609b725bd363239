# jacquard-lexgen: Jacquard's lexicon code generator (jacquard-codegen).
# teal's `types` crate has no sources in git: upstream generates them from its
# lexicons with this tool at exactly this version (tools/lexicon-cli's
# generate.ts installs `jacquard-lexgen --version 0.12.1`), so pkgs/teal runs
# it before building. The crate ships its Cargo.lock; cargoHash comes from it
# (`atnix vendor-hash cargo`), and `hash` is fetchCrate's unpacked tarball,
# whose .crate matched the crates.io index checksum (docs/teal.md).
{
  lib,
  rustPlatform,
  fetchSource,
  mkUpdateScript,
  testers,
  jacquard-lexgen,
}:

let
  source = lib.importJSON ./source.json;
in
rustPlatform.buildRustPackage {
  pname = "jacquard-lexgen";
  inherit (source) version;

  src = fetchSource ./source.json;

  inherit (source) cargoHash;

  # Only the generator; lex-fetch and extract-schemas fetch from the network
  # and nothing here uses them.
  cargoBuildFlags = [
    "--bin"
    "jacquard-codegen"
  ];

  passthru = {
    inherit source;
    updateScript = mkUpdateScript { package = "jacquard-lexgen"; };
    tests.version = testers.testVersion {
      package = jacquard-lexgen;
      command = "jacquard-codegen --version";
    };
  };

  meta = {
    description = "Lexicon code generator for Jacquard, the AT Protocol Rust library";
    homepage = "https://tangled.org/nonbinary.computer/jacquard";
    # Cargo.toml `license = "MPL-2.0"`.
    license = lib.licenses.mpl20;
    mainProgram = "jacquard-codegen";
    platforms = lib.platforms.linux;
  };
}
