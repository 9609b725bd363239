# The one update script every package's passthru.updateScript runs:
#
#   passthru.updateScript = mkUpdateScript {
#     source = "pkgs/<name>/source.json";   # relative to the repository root
#     cargoLock = "pkgs/<name>/Cargo.lock"; # optional: keep upstream's lockfile here
#     vendor = "cargo";                     # optional: recompute cargoHash
#   };
#
# Policy: the newest commit of the upstream default branch (HEAD). The script
# runs from the repository root (as nixpkgs' updater runs scripts from its
# root) with nothing else on PATH: git, coreutils, jq and atnix come from
# runtimeInputs. It re-pins with `atnix prefetch`, then recomputes the
# dependency hash from the lockfile at the new commit with `atnix vendor-hash`.
{
  lib,
  writeShellApplication,
  git,
  coreutils,
  jq,
  atnix,
}:
{
  source,
  cargoLock ? null,
  vendor ? null,
}:
let
  script = writeShellApplication {
    name = "atnix-update-source";
    runtimeInputs = [
      git
      coreutils
      jq
      atnix
    ];
    text = ''
      source_json=$1 lock_copy=$2 vendor=$3
      # The git dependencies of a Cargo.lock, one per line.
      git_sources() {
        while IFS= read -r line; do
          if [[ $line == 'source = "git+'* ]]; then echo "$line"; fi
        done <"$1" | sort -u
      }
      if [ ! -f "$source_json" ]; then
        echo "atnix-update-source: $source_json not found; run from the repository root" >&2
        exit 1
      fi
      fetcher=$(jq -r .fetcher "$source_json")
      case "$fetcher" in
        github) url="https://github.com/$(jq -r .owner "$source_json")/$(jq -r .repo "$source_json")" ;;
        tangled) url="https://$(jq -r '.domain // "tangled.org"' "$source_json")/$(jq -r .owner "$source_json")/$(jq -r .repo "$source_json")" ;;
        git) url=$(jq -r .url "$source_json") ;;
        *)
          echo "atnix-update-source: no update policy for fetcher \"$fetcher\" in $source_json" >&2
          exit 1
          ;;
      esac
      rev=$(git ls-remote "$url" HEAD | cut -f1)
      if [ -z "$rev" ]; then
        echo "atnix-update-source: $url has no HEAD" >&2
        exit 1
      fi
      if [ "$rev" = "$(jq -r .rev "$source_json")" ]; then
        echo "$source_json: already at $rev"
        exit 0
      fi
      # fetchgit hashes a checkout (with submodules if the pin asks for them);
      # the GitHub and tangled fetchers hash the archive.
      checkout_flags=()
      if [ "$fetcher" = git ]; then
        checkout_flags=(--checkout)
        if [ "$(jq -r '.fetchSubmodules // false' "$source_json")" = true ]; then
          checkout_flags+=(--submodules)
        fi
      fi
      atnix prefetch "$url" --rev "$rev" "''${checkout_flags[@]}" --write "$source_json"
      if [ -n "$lock_copy$vendor" ]; then
        src=$(mktemp -d)
        trap 'rm -rf "$src"' EXIT
        git -C "$src" init -q
        git -C "$src" fetch -q --depth 1 "$url" "$rev"
        git -C "$src" checkout -q FETCH_HEAD
        if [ -n "$lock_copy" ]; then
          # importCargoLock needs an exact outputHashes entry per git
          # dependency: refuse to guess when they change.
          if [ "$(git_sources "$lock_copy")" != "$(git_sources "$src/Cargo.lock")" ]; then
            echo "atnix-update-source: the git dependencies changed; recompute cargoLock.outputHashes with" >&2
            echo "  atnix prefetch <repo> --rev <commit> --checkout   (one per git dependency)" >&2
            exit 1
          fi
          cp "$src/Cargo.lock" "$lock_copy"
        fi
        if [ -n "$vendor" ]; then atnix vendor-hash "$vendor" "$src" --write "$source_json"; fi
      fi
    '';
  };
in
[
  (lib.getExe script)
  source
  (if cargoLock == null then "" else cargoLock)
  (if vendor == null then "" else vendor)
]
