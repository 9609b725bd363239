# The services of the microcosm-rs workspace that atnix packages: what
# differs between them, read from the workspace at the pinned rev
# (`<crate>/Cargo.toml`, `<crate>/src/**`, `<crate>/LICENSE*`). Each becomes
# the package `microcosm-<service>` (./default.nix).
{ lib }:
{
  constellation = {
    crate = "constellation";
    # constellation's server binary is called `main` (src/bin/main.rs).
    bin = "main";
    description = "Global AT Protocol backlink index served as a JSON API";
    # constellation/LICENSE is the AGPL-3.0 text; LICENSE.future says it is
    # not available under MIT/Apache today.
    license = lib.licenses.agpl3Only;
    # librocksdb-sys 0.17.1+9.9.3 (rocksdb 0.23, default feature "rocks").
    rocksdb = true;
  };
  spacedust = {
    crate = "spacedust";
    bin = "spacedust";
    description = "Firehose of AT Protocol links (at-uris, DIDs, URLs) over a websocket";
    license = with lib.licenses; [
      mit
      asl20
    ];
  };
  slingshot = {
    crate = "slingshot";
    bin = "slingshot";
    description = "AT Protocol record and identity edge cache";
    license = with lib.licenses; [
      mit
      asl20
    ];
    # `/` is StaticFileEndpoint::new("./static/index.html"): relative to the
    # working directory, so ship the directory; the module points
    # WorkingDirectory at share/slingshot.
    static = true;
  };
  ufos = {
    crate = "ufos";
    bin = "ufos";
    description = "AT Protocol collection timeseries and statistics (UFOs)";
    license = with lib.licenses; [
      mit
      asl20
    ];
  };
  pocket = {
    crate = "pocket";
    bin = "pocket";
    description = "Personal-private AT Protocol data service (early development)";
    license = with lib.licenses; [
      mit
      asl20
    ];
    # Same relative ./static/index.html as slingshot.
    static = true;
    # rusqlite 0.37 without the `bundled` feature links the system sqlite.
    sqlite = true;
  };
}
