# The teal status API (apps/status, crate status-api): serves
# fm.teal.actor.getStatus (what an account is listening to now) and keeps it
# current from Jetstream, in the shared teal database. Configured by
# environment only (apps/status/src at the pin in pkgs/teal/source.json;
# fixture: tests/fixtures/help/teal-status.txt).
#
# Its one-shot modes (`status-api backfill` from Jetstream Replay with
# JETSTREAM_API_KEY, `status-api prune`) are commands to run by hand, not the
# service.
import ./lib/module.nix (
  {
    cfg,
    opt,
    lib,
    ...
  }:
  let
    inherit (lib) mkOption types;
  in
  {
    app = "status";
    name = "status-api";
    description = "the teal.fm status API";
    port = 3402;

    options = {
      jetstreamUrl = mkOption {
        type = types.str;
        default = "wss://jetstream.us-east.bsky.network/xrpc/network.bsky.jetstream.subscribeEvents";
        example = "ws://127.0.0.1:6008/subscribe";
        description = ''
          Jetstream subscription URL the status records come from
          (`JETSTREAM_URL`; upstream's default). The consumer reconnects
          with a backoff of up to two minutes while the API keeps serving.
        '';
      };
      handleResolver = mkOption {
        type = types.str;
        default = "https://public.api.bsky.app";
        description = ''
          AppView used to resolve handles it has not seen on Jetstream nor in
          the teal profiles (`STATUS_HANDLE_RESOLVER`; upstream's default).
        '';
      };
    };

    assertions = [
      {
        # main.rs parses format!("{host}:{port}") as a SocketAddr, which
        # takes no bare IPv6 address.
        assertion = !lib.hasInfix ":" cfg.listenAddress;
        message = "${opt}.listenAddress = \"${cfg.listenAddress}\": status-api cannot listen on an IPv6 address (it parses \"<host>:<port>\"); use an IPv4 address such as 0.0.0.0 or 127.0.0.1.";
      }
    ];

    variables = {
      STATUS_API_HOST = cfg.listenAddress;
      STATUS_API_PORT = toString cfg.port;
      JETSTREAM_URL = cfg.jetstreamUrl;
      STATUS_HANDLE_RESOLVER = cfg.handleResolver;
    };
  }
)
