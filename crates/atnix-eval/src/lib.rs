//! NixOS module evaluation harness, systemd unit rendering and hardening grades.
//!
//! - [`harness`]: evaluates every module's cases (tests/eval/cases/*.nix) with
//!   the real nixpkgs lib and the stub option declarations under tests/eval/,
//!   by driving `nix-instantiate --eval --strict --json tests/eval/driver.nix`.
//! - [`render`]: writes unit files from the evaluated definitions exactly as
//!   NixOS's systemd-lib.nix does.
//! - [`conformance`]: the stub option declarations against the real NixOS
//!   declarations recorded in tests/eval/nixos-facts/.
//! - [`manifest`]: what `atnix render` writes beside the units and `atnix
//!   harden` and `atnix smoke` read.
//! - [`harden`]: `systemd-analyze verify` and `security --offline=true` on
//!   rendered units.

pub mod conformance;
pub mod harden;
pub mod harness;
pub mod manifest;
pub mod render;

pub use harness::{CaseReport, Harness, Outcome, RunOptions};
pub use manifest::{
    Manifest, ManifestError, PostgresqlDef, PostgresqlUser, RenderedCase, RenderedUnit,
};
pub use render::{UnitDef, render_unit};
