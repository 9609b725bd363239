# The Rust services of the teal.fm workspace that atnix packages: what differs
# between them, read from the workspace at the pinned rev (`<dir>/Cargo.toml`,
# `<dir>/src/main.rs`, the crates' readmes). Each becomes the package
# `teal-<service>` (./default.nix). Members left out, and why: docs/teal.md.
#
# No crate has a `license` field; the workspace's LICENSE is the MIT text.
#
# `listen`: where upstream hard-codes a wildcard socket (0.0.0.0) in main.rs,
# ./package.nix replaces `from` with `to` in `file`, so that the socket is read
# from `variable`, upstream's address when it is unset. The modules set it, so
# they can keep the service on loopback.
{ lib }:
let
  mit = lib.licenses.mit;
in
{
  cadet = {
    crate = "cadet";
    dir = "services/cadet";
    bin = "cadet";
    description = "teal.fm's Jetstream ingester: indexes fm.teal plays, profiles and statuses into PostgreSQL";
    license = mit;
    # metrics_exporter_prometheus' PrometheusBuilder::new().install()
    # listens on 0.0.0.0:9000, its default.
    listen = {
      variable = "ATNIX_METRICS_ADDR";
      file = "services/cadet/src/main.rs";
      from = "PrometheusBuilder::new().install()";
      to = ''PrometheusBuilder::new().with_http_listener(std::env::var("ATNIX_METRICS_ADDR").map_or(std::net::SocketAddr::from(([0, 0, 0, 0], 9000)), |a| a.parse::<std::net::SocketAddr>().expect("ATNIX_METRICS_ADDR is not a socket address"))).install()'';
    };
  };
  satellite = {
    crate = "satellite";
    dir = "services/satellite";
    bin = "satellite";
    description = "teal.fm's small stats API over its PostgreSQL database";
    license = mit;
    listen = {
      variable = "ATNIX_LISTEN_ADDR";
      file = "services/satellite/src/main.rs";
      from = ''TcpListener::bind("0.0.0.0:3001")'';
      to = ''TcpListener::bind(std::env::var("ATNIX_LISTEN_ADDR").unwrap_or_else(|_| "0.0.0.0:3001".to_string()))'';
    };
  };
  aqua = {
    crate = "aqua";
    dir = "apps/aqua";
    bin = "aqua";
    description = "teal.fm's AppView: fm.teal XRPC API and CAR import endpoints";
    license = mit;
    listen = {
      variable = "ATNIX_LISTEN_ADDR";
      file = "apps/aqua/src/main.rs";
      from = "let addr = SocketAddr::from(([0, 0, 0, 0], 3000));";
      to = ''let addr: SocketAddr = std::env::var("ATNIX_LISTEN_ADDR").map_or(SocketAddr::from(([0, 0, 0, 0], 3000)), |a| a.parse().expect("ATNIX_LISTEN_ADDR is not a socket address"));'';
    };
  };
  status = {
    crate = "status-api";
    dir = "apps/status";
    bin = "status-api";
    description = "teal.fm's status API: fm.teal.actor.getStatus XRPC and a Jetstream consumer of status records";
    license = mit;
  };
}
