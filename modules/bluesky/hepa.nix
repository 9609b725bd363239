# hepa: indigo's auto-moderation daemon. It consumes a relay's firehose, runs
# the automod rules and files reports, labels and takedowns through an Ozone
# instance. Flags and environment variables from cmd/hepa/main.go at the pin
# in pkgs/indigo/source.json (fixture: tests/fixtures/help/bluesky-hepa.txt).
#
# hepa's only listener is its Prometheus endpoint (`run --metrics-listen`),
# so that is this module's `port`. Without `redisUrl` its counters, caches
# and cursor live in memory. Its tokens (Ozone and PDS admin, Hive AI,
# abyss, prescreen, Slack webhook) are secrets: put them in
# `environmentFiles` as HEPA_OZONE_AUTH_ADMIN_TOKEN, HEPA_PDS_AUTH_ADMIN_TOKEN,
# HIVEAI_API_TOKEN, ABYSS_PASSWORD, HEPA_PRESCREEN_TOKEN, SLACK_WEBHOOK_URL
# (and HEPA_REDIS_URL when the URL holds a password).
import ../../lib/service-module.nix (
  {
    cfg,
    lib,
    svc,
    ...
  }:
  let
    inherit (lib) mkOption types optionals;
    str = default: description: mkOption { type = types.str; inherit default description; };
    nullStr = description: mkOption {
      type = types.nullOr types.str;
      default = null;
      inherit description;
    };
    int = default: description: mkOption { type = types.ints.unsigned; inherit default description; };
    optArg = flag: v: optionals (v != null) [ flag (toString v) ];
  in
  {
    path = [
      "bluesky"
      "hepa"
    ];
    name = "hepa";
    description = "hepa, the indigo auto-moderation daemon";
    package = "indigo-hepa";
    # Upstream's metrics listener, :3989.
    port = 3989;
    # Metrics only: nothing to put behind a virtual host.
    nginx = false;
    environment = { };
    environmentFiles = true;

    options = {
      relayHost = str "wss://bsky.network" "Relay whose firehose hepa consumes (`--atp-relay-host`, upstream default).";
      plcUrl = str "https://plc.directory" "PLC directory (`--atp-plc-host`, upstream default).";
      bskyHost = str "https://public.api.bsky.app" "Bluesky AppView queried without auth (`--atp-bsky-host`, upstream default).";
      ozoneHost = str "https://mod.bsky.app" "Ozone instance actions go to (`--atp-ozone-host`, upstream default); needs HEPA_OZONE_AUTH_ADMIN_TOKEN in `environmentFiles`.";
      ozoneDid = nullStr "DID of the account Ozone actions are attributed to (`--ozone-did`).";
      pdsHost = str "https://bsky.social" "PDS or entryway queried for account details with admin auth (`--atp-pds-host`, upstream default); needs HEPA_PDS_AUTH_ADMIN_TOKEN.";
      redisUrl = nullStr "Redis for counters, caches and the cursor (`--redis-url`, e.g. `redis://localhost:6379/0`). A URL with a password belongs in `environmentFiles` as HEPA_REDIS_URL.";
      plcRateLimit = int 100 "Requests per second to the PLC directory (`--plc-rate-limit`, upstream default).";
      setsJsonPath = nullStr "JSON file of static sets the rules use (`--sets-json-path`).";
      abyssHost = nullStr "Abusive-image scanning API (`--abyss-host`); needs ABYSS_PASSWORD.";
      ruleset = mkOption {
        type = types.nullOr (types.enum [
          "default"
          "no-blobs"
          "only-blobs"
        ]);
        default = null;
        description = "Ruleset (`--ruleset`); null is upstream's default set.";
      };
      logLevel = mkOption {
        type = types.enum [
          "error"
          "warn"
          "info"
          "debug"
        ];
        default = "info";
        description = "Log verbosity (`--log-level`).";
      };
      firehoseParallelism = int 0 "Fixed number of firehose workers; 0 scales automatically (`--firehose-parallelism`, upstream default).";
      prescreenHost = nullStr "Prescreen server (`--prescreen-host`); needs HEPA_PRESCREEN_TOKEN.";
      reportDupePeriod = str "24h0m0s" "Period within which an account is not reported again for the same reason (`--report-dupe-period`, Go duration, upstream default).";
      quotas = {
        reportsPerDay = int 10000 "Reports filed per day, a circuit breaker (`--quota-mod-report-day`, upstream default).";
        takedownsPerDay = int 200 "Takedowns per day (`--quota-mod-takedown-day`, upstream default).";
        actionsPerDay = int 2000 "Other actions per day (`--quota-mod-action-day`, upstream default).";
      };
      timeouts = {
        record = str "30s" "Processing time allowed per record event (`--record-event-timeout`, upstream default).";
        identity = str "10s" "Processing time allowed per identity or account event (`--identity-event-timeout`, upstream default).";
        ozone = str "30s" "Processing time allowed per Ozone event (`--ozone-event-timeout`, upstream default).";
      };
    };

    service = {
      unit = "bluesky-hepa";
      description = "hepa, the indigo auto-moderation daemon";
      exec = [
        (lib.getExe cfg.package)
        "--atp-relay-host"
        cfg.relayHost
        "--atp-plc-host"
        cfg.plcUrl
        "--atp-bsky-host"
        cfg.bskyHost
        "--atp-ozone-host"
        cfg.ozoneHost
        "--atp-pds-host"
        cfg.pdsHost
        "--plc-rate-limit"
        (toString cfg.plcRateLimit)
        "--log-level"
        cfg.logLevel
        "--firehose-parallelism"
        (toString cfg.firehoseParallelism)
        "--report-dupe-period"
        cfg.reportDupePeriod
        "--quota-mod-report-day"
        (toString cfg.quotas.reportsPerDay)
        "--quota-mod-takedown-day"
        (toString cfg.quotas.takedownsPerDay)
        "--quota-mod-action-day"
        (toString cfg.quotas.actionsPerDay)
        "--record-event-timeout"
        cfg.timeouts.record
        "--identity-event-timeout"
        cfg.timeouts.identity
        "--ozone-event-timeout"
        cfg.timeouts.ozone
      ]
      ++ optArg "--ozone-did" cfg.ozoneDid
      ++ optArg "--redis-url" cfg.redisUrl
      ++ optArg "--sets-json-path" cfg.setsJsonPath
      ++ optArg "--abyss-host" cfg.abyssHost
      ++ optArg "--ruleset" cfg.ruleset
      ++ optArg "--prescreen-host" cfg.prescreenHost
      ++ [
        "run"
        "--metrics-listen"
        (svc.socketAddr cfg.listenAddress cfg.port)
      ]
      ++ cfg.extraArgs;
    };
  }
)
