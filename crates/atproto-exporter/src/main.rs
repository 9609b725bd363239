fn main() -> anyhow::Result<()> {
    anyhow::bail!("atproto-exporter: not built yet")
}
