# rsky-wintermute on a local PostgreSQL. The bsky app-view data plane, whose
# schema wintermute writes into, is not packaged here, so the test first
# checks that the pre-start refuses a database without it, then loads a
# stand-in with the two tables upstream's migrations alter. The pre-start
# applies those migrations as the unit's own role (peer authentication), and
# the ingester resumes a cursor saved in bsky.sub_state, read through the
# `bsky` search_path, when it dials the relay. No relay is reachable from a VM (and wintermute speaks
# only wss://), so nothing is indexed. Run by the flake with every atnix
# module imported (see ./default.nix).
{ lib, ... }:
{
  name = "blacksky-wintermute";

  nodes.machine =
    { pkgs, ... }:
    {
      services.blacksky.wintermute = {
        enable = true;
        relayHosts = [ "relay.test" ];
        cacheSizeGB = 1;
        writeBufferSizeGB = 1;
        dbPoolSize = 4;
      };
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
      ];
    };

  testScript = ''
    psql = "sudo -u postgres psql -v ON_ERROR_STOP=1 -d blacksky-wintermute -tAc "

    machine.wait_for_unit("postgresql.service")
    # No data plane schema yet: the pre-start refuses, saying what is missing.
    machine.wait_until_succeeds(
        "journalctl -a -u blacksky-wintermute.service | grep -q 'has no table bsky.actor'"
    )
    machine.fail("curl -sf http://127.0.0.1:9120/_health")

    # A stand-in for the data plane's schema, owned by the service's role as
    # if the app-view's migrations had run as it.
    machine.succeed(psql + "\"create schema bsky authorization \\\"blacksky-wintermute\\\"\"")
    machine.succeed(
        psql + "'create table bsky.actor (did text primary key, handle text, \"indexedAt\" text,"
        " \"upstreamStatus\" text); alter table bsky.actor owner to \"blacksky-wintermute\"'"
    )
    machine.succeed(
        psql + "'create table bsky.notification (id bigserial primary key, did text, \"recordUri\" text,"
        " \"recordCid\" text, author text, reason text, \"reasonSubject\" text, \"sortAt\" text);"
        " alter table bsky.notification owner to \"blacksky-wintermute\"'"
    )

    machine.wait_for_unit("blacksky-wintermute.service")
    machine.wait_for_open_port(9120)
    machine.succeed("curl -sf http://127.0.0.1:9120/_health | jq -e '.status == \"ok\"'")
    machine.succeed("curl -sf http://127.0.0.1:9120/metrics | grep -q '^ingester_'")

    # The three migrations, applied by the service's role.
    owner = machine.succeed(
        psql + "\"select tableowner from pg_tables where schemaname = 'bsky' and tablename = 'sub_state'\""
    ).strip()
    assert owner == "blacksky-wintermute", owner
    machine.succeed(
        psql + "\"select 1 from information_schema.columns where table_schema = 'bsky'"
        " and table_name = 'actor' and column_name = 'accountEventAt'\" | grep -qx 1"
    )
    machine.succeed(
        psql + "\"select to_regclass('bsky.notification_did_recorduri_reason_unique_idx') is not null\" | grep -qx t"
    )

    # The ingester reads its cursor from sub_state (unqualified, through the
    # search_path) before dialling the relay: a saved cursor is resumed.
    machine.wait_until_succeeds(
        "journalctl -a -u blacksky-wintermute.service"
        " | grep -q 'connecting to wss://relay.test/xrpc/com.atproto.sync.subscribeRepos starting from live stream'"
    )
    machine.succeed(psql + "\"insert into bsky.sub_state values ('firehose:relay.test', 42)\"")
    machine.succeed("systemctl restart blacksky-wintermute.service")
    machine.wait_until_succeeds(
        "journalctl -a -u blacksky-wintermute.service | grep -q 'subscribeRepos?cursor=42 starting from cursor 42'"
    )
    machine.fail("journalctl -a -u blacksky-wintermute.service | grep -q 'failed to get cursor'")
    machine.wait_for_open_port(9120)

    # The queues live in the state directory.
    machine.succeed("test -d /var/lib/blacksky-wintermute/backfill_cache/firehose_backfill_lmdb")
    machine.succeed("systemctl is-active blacksky-wintermute.service")
  '';
}
