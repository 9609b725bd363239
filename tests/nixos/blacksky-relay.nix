# rsky-relay with no network to crawl: the test checks what it serves from
# its own state. Health and listHosts answer on 127.0.0.1:9000 only; the
# admin ban list takes the password from the credential (and refuses a wrong
# one); a ban survives a restart, since it lives in relay.db in the state
# directory. A VM has no route to plc.directory, whose first export page the
# pre-start fetches on a real host, so a test unit writes one operation with
# upstream's crawler functions first; the pre-start must then leave it alone.
# Run by the flake with every atnix module imported (see ./default.nix).
{ lib, ... }:
{
  name = "blacksky-relay";

  nodes.machine =
    { config, pkgs, ... }:
    {
      services.blacksky.relay = {
        enable = true;
        # No network in the VM: nothing to discover from the public relays.
        discoveryUpstreams = [ ];
        adminPasswordFile = "/etc/rsky-relay-admin";
        metrics.enable = true;
      };
      environment.etc."rsky-relay-admin".text = "test-admin-password";

      systemd.services.seed-plc = {
        before = [ "blacksky-relay.service" ];
        requiredBy = [ "blacksky-relay.service" ];
        serviceConfig.Type = "oneshot";
        script = ''
          mkdir -p /var/lib/blacksky-relay
          cd /var/lib/blacksky-relay
          ${lib.getExe pkgs.python3} - ${config.services.blacksky.relay.package}/share/rsky-relay <<'EOF'
          import sys, types
          sys.modules["requests"] = types.ModuleType("requests")
          sys.path.insert(0, sys.argv[1])
          import crawler
          crawler.insert_operations(crawler.create_database(), [{
              "did": "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
              "cid": "bafyreihmuvr3frdvd6vmdhucih277prdcfcezf67lasg5oekxoimnunjoq",
              "createdAt": "2022-11-17T00:35:16.391Z",
              "nullified": False,
              "operation": {"type": "plc_operation", "prev": None, "sig": "test", "services": {}, "alsoKnownAs": [], "rotationKeys": [], "verificationMethods": {}},
          }])
          EOF
          chown -R blacksky-relay:blacksky-relay /var/lib/blacksky-relay
        '';
      };
      environment.systemPackages = [
        pkgs.curl
        pkgs.iproute2
        pkgs.jq
        pkgs.sqlite
      ];
    };

  testScript = ''
    machine.wait_for_unit("blacksky-relay.service")
    machine.wait_for_open_port(9000)
    machine.succeed("curl -fsS http://127.0.0.1:9000/_health | grep -qx ok")
    machine.succeed("curl -fsS 'http://127.0.0.1:9000/xrpc/com.atproto.sync.listHosts' | jq -e '.hosts == []'")

    # Loopback only: nothing else listens on 9000 or the metrics port.
    machine.succeed("ss -Htln '( sport = :9000 )' | grep -q '127.0.0.1:9000'")
    machine.fail("ss -Htln '( sport = :9000 )' | grep -v '127.0.0.1:9000' | grep -q .")
    machine.wait_until_succeeds("curl -fsS http://127.0.0.1:9002/metrics >/dev/null", timeout=30)

    auth = "-H 'Authorization: Bearer test-admin-password'"
    machine.succeed("test \"$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrong' http://127.0.0.1:9000/admin/pds/listBans)\" = 401")
    machine.succeed(f"curl -fsS -X POST {auth} 'http://127.0.0.1:9000/admin/pds/ban?host=spam.example.com' | jq -e '.banned == true'")
    machine.succeed(f"curl -fsS {auth} http://127.0.0.1:9000/admin/pds/listBans | grep -q spam.example.com")

    machine.succeed("systemctl restart blacksky-relay.service")
    machine.wait_for_open_port(9000)
    machine.succeed(f"curl -fsS {auth} http://127.0.0.1:9000/admin/pds/listBans | grep -q spam.example.com")

    machine.succeed("sqlite3 /var/lib/blacksky-relay/plc_directory.db 'SELECT count(*) FROM plc_operations' | grep -qx 1")
    machine.succeed("test \"$(stat -c %U /var/lib/blacksky-relay/plc_directory.db)\" = blacksky-relay")
    assert "0" == machine.succeed("systemctl show -P NRestarts blacksky-relay.service").strip()
  '';
}
