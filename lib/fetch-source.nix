# Reads a package's source.json and picks the fetcher, so no package names a
# fetcher itself. Called through our package scope (pkgs/default.nix) as
# `fetchSource ./source.json`. The `fetcher` field is the tag:
#
#   github     owner, repo, rev, hash            -> fetchFromGitHub
#   tangled    did, rev, hash, domain (default "tangled.org")
#              -> fetchFromTangled; owner ("@handle") and repo are
#              informational (nixpkgs' fetcher takes only `did`)
#   git        url, rev, hash, fetchSubmodules,
#              sparseCheckout (directories, cone mode) -> fetchgit
#   url        url, hash, unpack (bool)          -> fetchzip if unpack, else fetchurl
#   crates-io  pname, version, hash              -> fetchCrate
#
# Every kind may also carry `version`, `tag` (informational: the pin is the
# commit) and dependency hashes (cargoHash, vendorHash, npmDepsHash,
# pnpmDepsHash) that the package reads from the same file. `atnix prefetch`
# and `atnix vendor-hash` write these files; `atnix check` checks them.
{
  lib,
  fetchFromGitHub,
  fetchFromTangled ? null,
  fetchgit,
  fetchurl,
  fetchzip,
  fetchCrate ? null,
}:
path:
let
  s = lib.importJSON path;
  where = toString path;
  need =
    f: name:
    if f == null then throw "${where}: fetcher \"${s.fetcher}\" needs ${name}, which this nixpkgs lacks" else f;
in
{
  github = fetchFromGitHub {
    inherit (s)
      owner
      repo
      rev
      hash
      ;
  };
  # nixpkgs' fetchFromTangled (pkgs/build-support/fetchtangled) takes `did`,
  # `domain`, and `rev` or `tag`, and fetchzips https://<domain>/<did>/archive/<rev>.
  # Anything else would be passed on to fetchzip, so owner/repo stay out.
  tangled = need fetchFromTangled "fetchFromTangled" {
    inherit (s) did rev hash;
    domain = s.domain or "tangled.org";
  };
  git = fetchgit (
    {
      inherit (s) url rev hash;
      fetchSubmodules = s.fetchSubmodules or false;
    }
    # A sparse pin hashes only these directories (and the top-level files),
    # so it can leave out files a mirror lacks (pkgs/frontpage).
    // lib.optionalAttrs (s ? sparseCheckout) { inherit (s) sparseCheckout; }
  );
  url = (if s.unpack or false then fetchzip else fetchurl) { inherit (s) url hash; };
  crates-io = need fetchCrate "fetchCrate" { inherit (s) pname version hash; };
}
.${s.fetcher} or (throw "${where}: unknown fetcher \"${s.fetcher or "(none)"}\"; use github, tangled, git, url or crates-io")
