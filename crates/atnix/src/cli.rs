//! Command-line definition only; each subcommand's arguments live beside its code in `cmd/`.

use clap::{Parser, Subcommand};

use crate::cmd;

/// AT Protocol on Nix: exact pins, repository checks, module evaluation,
/// systemd hardening grades and ATProto health probes.
#[derive(Parser, Debug)]
#[command(version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// NAR hash of a file or tree, exactly as `nix-hash --type sha256` computes it.
    Hash(cmd::hash::Args),
    /// Pin a git commit or URL as fetchFromGitHub, fetchFromTangled, fetchgit, fetchzip or fetchurl would.
    Prefetch(cmd::prefetch::Args),
    /// Dependency hashes (cargoHash, npmDepsHash, vendorHash, pnpmCacheHash, yarnDepsHash) computed from a lockfile.
    VendorHash(cmd::vendor_hash::Args),
    /// Lint this repository: Nix syntax, pins, package meta, module options.
    Check(cmd::check::Args),
    /// The state of the repository as Markdown: packages, pins, modules, hardening.
    Report(cmd::report::Args),
    /// Evaluate every module's evaluation cases with the real nixpkgs lib.
    Eval(cmd::eval::Args),
    /// Render the systemd units of the modules' minimal cases as unit files.
    Render(cmd::render::Args),
    /// Verify rendered units and grade their exposure with systemd-analyze.
    Harden(cmd::harden::Args),
    /// Probe an ATProto service once and say whether it is healthy.
    Probe(cmd::probe::Args),
    /// Boot systemd in a container, start rendered units and check they answer.
    Smoke(cmd::smoke::Args),
    /// Move pins to the newest upstream release or commit their `update` policy names.
    Update(cmd::update::Args),
    /// Restore a service's state directory from its newest upgrade snapshot.
    Rollback(cmd::rollback::Args),
}
