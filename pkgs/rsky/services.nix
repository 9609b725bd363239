# The deployable services of the rsky workspace that atnix packages: what
# differs between them, read from the workspace at the pinned rev
# (`<crate>/Cargo.toml`, `<crate>/README.md`, `<crate>/src/**`);
# descriptions are upstream's `description` or README's first line. Each becomes the package
# `rsky-<service>` (./default.nix). Members left out, and why: docs/rsky.md.
#
# Crates without a `license` field fall under the workspace's LICENSE, the
# Apache-2.0 text; no member has a LICENSE file of its own.
{ lib }:
let
  asl20 = lib.licenses.asl20;
in
{
  pds = {
    crate = "rsky-pds";
    bin = "rsky-pds";
    description = "Rust reference implementation of an atproto PDS";
    license = asl20;
  };
  relay = {
    crate = "rsky-relay";
    bin = "rsky-relay";
    description = "ATproto-compliant relay server";
    license = asl20;
    # The relay never creates plc_directory.db's tables and refuses to start
    # without one PLC operation in them: upstream's crawler.py does both. The
    # module's pre-start runs its functions.
    share = [ "crawler.py" ];
  };
  feedgen = {
    crate = "rsky-feedgen";
    bin = "rsky-feedgen";
    description = "A framework for building AT Protocol feed generators, in Rust";
    license = asl20;
    # diesel's postgres backend links libpq (pq-sys), from nixpkgs' postgresql.
    libpq = true;
    # Upstream runs its diesel migrations with diesel_cli, not at start: ship
    # them in share/rsky-feedgen/migrations for the module's pre-start.
    migrations = true;
  };
  firehose = {
    crate = "rsky-firehose";
    bin = "rsky-firehose";
    description = "A framework for subscribing to the AT Protocol firehose, in Rust";
    license = asl20;
  };
  jetstream-subscriber = {
    crate = "rsky-jetstream-subscriber";
    bin = "rsky-jetstream-subscriber";
    description = "Jetstream subscriber service";
    license = asl20;
  };
  labeler = {
    crate = "rsky-labeler";
    bin = "rsky-labeler";
    description = "AT Protocol firehose subscriber that labels content for a moderation service";
    license = asl20;
  };
  daemon = {
    crate = "rsky-daemon";
    bin = "rsky-daemon";
    description = "atproto permissioned-data syncer daemon: pulls, verifies and indexes permissioned repos from members' PDSes";
    license = asl20;
  };
  space-host = {
    crate = "rsky-space-host";
    bin = "rsky-space-host";
    description = "atproto permissioned-data space authority/host: issues space credentials, manages a space, routes write notifications";
    license = asl20;
  };
  video = {
    crate = "rsky-video";
    # [[bin]] name = "video-service" in rsky-video/Cargo.toml.
    bin = "video-service";
    description = "Blacksky video service: video uploads, transcoding via Bunny Stream, and playback";
    license = asl20;
  };
  wintermute = {
    crate = "rsky-wintermute";
    # The indexer; its maintenance binaries (queue_backfill, plc_import, ...)
    # are one-off tools, not built here.
    bin = "wintermute";
    description = "Monolithic indexer combining ingester, backfiller, and indexer";
    license = asl20;
    # Upstream's SQL migrations, applied by hand upstream: the module's
    # pre-start applies the three the indexer's queries need.
    migrations = true;
  };
  palomar-sync = {
    crate = "palomar-sync";
    bin = "palomar-sync";
    description = "Sync followersFuzzy and PageRank from PostgreSQL to OpenSearch for Palomar search";
    license = asl20;
  };
}
