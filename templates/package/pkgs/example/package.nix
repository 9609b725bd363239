# Template: a Rust program from GitHub. Rename `example`, fill source.json with
# the atnix commands in templates/README.md, then write the real meta.
{
  lib,
  rustPlatform,
  fetchSource,
  mkUpdateScript,
  testers,
}:
let
  # The pin: owner, repo, rev, hash, version and cargoHash. Nothing is written
  # inline here; `atnix check` fails until source.json is filled.
  source = lib.importJSON ./source.json;
in
rustPlatform.buildRustPackage (finalAttrs: {
  pname = "example";
  inherit (source) version cargoHash;

  # The fetcher named in source.json (lib/fetch-source.nix).
  src = fetchSource ./source.json;

  # Native libraries the crates link against (for example openssl, rocksdb)
  # go in buildInputs, with pkg-config in nativeBuildInputs.

  passthru = {
    tests.version = testers.testVersion { package = finalAttrs.finalPackage; };
    # The one update script (lib/update-script.nix): `atnix update example
    # --write`, following the `update` policy in ./source.json.
    updateScript = mkUpdateScript { package = "example"; };
  };

  meta = {
    description = "One line saying what the program does";
    homepage = "https://github.com/${source.owner}/${source.repo}";
    # Read the license at the pinned rev, not from memory.
    license = lib.licenses.mit;
    mainProgram = "example";
    platforms = lib.platforms.linux;
  };
})
