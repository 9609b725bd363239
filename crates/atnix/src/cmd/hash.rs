use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// File, symlink or directory to hash.
    pub path: PathBuf,
    /// Hash the file's bytes (fetchurl's flat mode) instead of its NAR serialisation.
    #[arg(long)]
    pub flat: bool,
    /// Print Nix's base32 instead of SRI.
    #[arg(long, group = "format")]
    pub base32: bool,
    /// Print hexadecimal instead of SRI.
    #[arg(long, group = "format")]
    pub hex: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let hash = if args.flat {
        atnix_nar::flat_hash(&args.path)
    } else {
        atnix_nar::nar_hash(&args.path)
    }
    .context("cannot hash")?;
    let text = if args.base32 {
        hash.to_nix32()
    } else if args.hex {
        hash.to_hex()
    } else {
        hash.to_sri()
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}
