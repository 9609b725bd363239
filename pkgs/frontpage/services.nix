# The services of likeandscribe/frontpage's Cargo workspace (packages-rs/)
# that atnix packages, read at the pinned rev (`packages-rs/<crate>/Cargo.toml`,
# `packages-rs/<crate>/README.md`, `packages-rs/<crate>/src/**`, `LICENSE`).
# Each becomes the package `frontpage-<service>` (./default.nix). Members
# left out: drainpipe-cli (a debugging tool for drainpipe's cursor),
# drainpipe-store and jetstream (libraries).
{ lib }:
{
  drainpipe = {
    crate = "drainpipe";
    bin = "drainpipe";
    # packages-rs/drainpipe/README.md's first sentence.
    description = "AT Protocol jetstream consumer that forwards frontpage's records to its webhook receiver";
    # No crate has a license field; the repository's LICENSE is the MIT text.
    license = lib.licenses.mit;
  };
}
