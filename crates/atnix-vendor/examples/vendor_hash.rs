//! `cargo run --example vendor_hash -- cargo|npm LOCKFILE CACHE_DIR`: the library without the CLI.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, kind, lock, cache] = &args[..] else {
        return Err("usage: vendor_hash cargo|npm LOCKFILE CACHE_DIR".into());
    };
    let cache = atnix_vendor::Cache::new(cache);
    let opts = atnix_vendor::FetchOptions::default();
    let hash = match kind.as_str() {
        "cargo" => atnix_vendor::cargo_hash(lock.as_ref(), &cache, &opts)?,
        _ => atnix_vendor::npm_hash(lock.as_ref(), &cache, &opts)?,
    };
    println!("{}", hash.to_sri());
    Ok(())
}
