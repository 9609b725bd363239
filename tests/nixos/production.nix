# profiles/production across five VMs: db (PostgreSQL, TLS), s3 (Garage), app1
# and app2 (the relay, each with its own database on db), lb (HAProxy, and
# the monitoring role). Requests through the load balancer succeed and reach
# both app nodes; the database takes only TLS from the app nodes, each into
# its own database; an app node reaches the object store; then app1 crashes,
# requests through the load balancer still succeed, HAProxy and Prometheus
# see it gone, and it comes back into the pool after a restart.
#
# Addresses: the test driver gives node N (nodes sorted by name) 192.168.1.N
# on eth1: app1 .1, app2 .2, db .3, lb .4, s3 .5.
{ lib, hostPkgs, ... }:
let
  # A CA and a server certificate for db's address; test fixtures only
  # (a real deployment keeps the key out of the store: docs/production.md).
  tls = hostPkgs.runCommand "atnix-production-test-tls" { nativeBuildInputs = [ hostPkgs.openssl ]; } ''
    mkdir -p $out
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=atnix-test-ca \
      -keyout ca.key -out $out/ca.crt
    openssl req -newkey rsa:2048 -nodes -subj /CN=db -keyout $out/server.key -out server.csr
    printf 'subjectAltName=IP:192.168.1.3,DNS:db\n' > ext
    openssl x509 -req -in server.csr -CA $out/ca.crt -CAkey ca.key -CAcreateserial \
      -days 3650 -extfile ext -out $out/server.crt
  '';
  hosts = {
    app1 = {
      address = "192.168.1.1";
      roles = [ "app" ];
    };
    app2 = {
      address = "192.168.1.2";
      roles = [ "app" ];
    };
    db = {
      address = "192.168.1.3";
      roles = [ "database" ];
    };
    lb = {
      address = "192.168.1.4";
      roles = [
        "loadbalancer"
        "monitoring"
      ];
    };
    s3 = {
      address = "192.168.1.5";
      roles = [ "objectstore" ];
    };
  };
  node = name: extra: {
    imports = [ extra ];
    networking.hostName = name;
  };
in
{
  name = "production";

  defaults =
    { pkgs, ... }:
    {
      imports = [ ../../profiles/production ];
      atnix.production = {
        inherit hosts;
        privateInterface = "eth1";
        database = {
          caFile = "${tls}/ca.crt";
          passwordFile = "/etc/atnix-db-password";
          server = {
            certificateFile = "${tls}/server.crt";
            keyFile = "/etc/pg-tls/server.key";
          };
        };
        objectStore = {
          # Written by the test once Garage has made the key.
          accessKeyIdFile = "/run/s3/access-key-id";
          secretAccessKeyFile = "/run/s3/secret-access-key";
          server.environmentFile = "/etc/garage.env";
        };
      };
      services.bluesky.relay.adminPasswordFile = "/etc/relay-admin-password";
      # Scrape every 5 s, so that the test sees a node go down in time.
      services.prometheus.globalConfig.scrape_interval = "5s";
      environment.etc = {
        "atnix-db-password" = {
          text = "vm-test-db-password";
          mode = "0400";
        };
        "relay-admin-password" = {
          text = "vm-test-admin-password";
          mode = "0400";
        };
        "pg-tls/ca.crt".source = "${tls}/ca.crt";
      };
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
        pkgs.socat
        pkgs.minio-client
        pkgs.postgresql
      ];
    };

  nodes = {
    db = node "db" {
      environment.etc."pg-tls/server.key" = {
        source = "${tls}/server.key";
        mode = "0600";
        user = "postgres";
        group = "postgres";
      };
    };
    s3 = node "s3" {
      environment.etc."garage.env" = {
        text = "GARAGE_RPC_SECRET=5c1915fa04d0b6739675c61bf5907eb0fe3d9c69850c83820f51b4d25d13868c\n";
        mode = "0400";
      };
      # Garage wants at least 1 GiB free (as nixpkgs' garage test says).
      virtualisation.diskSize = 2048;
    };
    app1 = node "app1" { };
    app2 = node "app2" { };
    lb = node "lb" { };
  };

  testScript = ''
    import csv, io, re

    lb_url = "http://192.168.1.4"
    ca = "/etc/pg-tls/ca.crt"

    def haproxy_status(backend, server):
        out = lb.succeed("echo 'show stat' | socat stdio /run/haproxy/haproxy.sock")
        rows = csv.DictReader(io.StringIO(out.lstrip("# ")))
        for row in rows:
            if row["pxname"] == backend and row["svname"] == server:
                return row
        raise Exception(f"no {backend}/{server} in HAProxy's stats:\n{out}")

    def through_lb(n):
        # From db, a host of the network that is not the load balancer.
        for _ in range(n):
            db.succeed(f"curl --fail -s {lb_url}/xrpc/_health | jq -e '.status == \"ok\"'")
            db.succeed(f"curl --fail -s {lb_url}/xrpc/com.atproto.sync.listHosts | jq -e '.hosts == []'")
            db.succeed(
                f"curl --fail -s -u admin:vm-test-admin-password {lb_url}/admin/pds/list | jq -e '. == []'"
            )

    db.start()
    s3.start()

    with subtest("database: PostgreSQL with TLS, a role and a password per app node"):
        db.wait_for_unit("postgresql.service")
        db.wait_for_unit("atnix-production-db-passwords.service")
        db.wait_for_open_port(5432, "192.168.1.3")
        db.succeed("runuser -u postgres -- psql -tAc 'SHOW ssl' | grep -qx on")
        for role in ["relay_app1", "relay_app2"]:
            db.succeed(
                f"runuser -u postgres -- psql -tAc \"SELECT rolpassword LIKE 'SCRAM-SHA-256%' FROM pg_authid WHERE rolname = '{role}'\" | grep -qx t"
            )

    app1.start()
    app2.start()
    lb.start()

    with subtest("database: app nodes connect with verify-full only, each to its own database"):
        conn = "host=192.168.1.3 user=relay_app1 dbname=relay_app1"
        app1.succeed(
            f"PGPASSWORD=vm-test-db-password psql '{conn} sslmode=verify-full sslrootcert={ca}' -tAc 'SELECT 1' | grep -qx 1"
        )
        # pg_hba has hostssl rules only.
        app1.fail(f"PGPASSWORD=vm-test-db-password psql '{conn} sslmode=disable' -tAc 'SELECT 1'")
        # app1 may not reach app2's database, nor app2's role from app1's address.
        app1.fail(
            f"PGPASSWORD=vm-test-db-password psql 'host=192.168.1.3 user=relay_app2 dbname=relay_app2 sslmode=verify-full sslrootcert={ca}' -tAc 'SELECT 1'"
        )
        app1.fail(
            f"PGPASSWORD=wrong psql '{conn} sslmode=verify-full sslrootcert={ca}' -tAc 'SELECT 1'"
        )

    with subtest("app nodes: the relay on the private address, tables in its own database"):
        for m, addr in [(app1, "192.168.1.1"), (app2, "192.168.1.2")]:
            m.wait_for_unit("bluesky-relay.service")
            m.wait_for_open_port(2470, addr)
            m.succeed(f"curl --fail -s http://{addr}:2470/xrpc/_health | jq -e '.status == \"ok\"'")
            # Not on loopback: only the private address listens.
            m.fail("curl --fail -s http://127.0.0.1:2470/xrpc/_health")
        db.succeed(
            "runuser -u postgres -- psql -d relay_app1 -tAc \"SELECT count(*) FROM pg_tables WHERE tablename = 'log_file_refs'\" | grep -qx 1"
        )
        db.succeed(
            "runuser -u postgres -- psql -d relay_app2 -tAc \"SELECT count(*) FROM pg_tables WHERE tablename = 'log_file_refs'\" | grep -qx 1"
        )

    with subtest("load balancer: both backends healthy, requests spread over them"):
        lb.wait_for_unit("haproxy.service")
        lb.wait_for_open_port(80)
        lb.wait_until_succeeds("echo 'show stat' | socat stdio /run/haproxy/haproxy.sock | grep -q '^api,app1,.*,UP,'")
        lb.wait_until_succeeds("echo 'show stat' | socat stdio /run/haproxy/haproxy.sock | grep -q '^api,app2,.*,UP,'")
        through_lb(10)
        for server in ["app1", "app2"]:
            sessions = int(haproxy_status("api", server)["stot"])
            assert sessions > 0, f"{server} served no request through the load balancer"

    with subtest("load balancer: the firehose websocket upgrade passes"):
        status, out = db.execute(
            "curl -s -i -N --max-time 3 -H 'Connection: Upgrade' -H 'Upgrade: websocket'"
            " -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='"
            f" {lb_url}/xrpc/com.atproto.sync.subscribeRepos"
        )
        assert re.search(r"^HTTP/1\.1 101", out, re.M), f"no websocket upgrade through HAProxy:\n{out}"

    with subtest("object store: Garage's S3 API from an app node"):
        s3.wait_for_unit("garage.service")
        s3.wait_for_open_port(3900, "192.168.1.5")
        node_id = s3.succeed("garage node id").strip().split("@")[0]
        s3.succeed(f"garage layout assign -z dc1 -c 1G {node_id}")
        s3.succeed("garage layout apply --version 1")
        out = s3.succeed("garage key create app-key")
        key_id = re.search(r"Key ID:\s*(\S+)", out, re.I).group(1)
        secret = re.search(r"Secret key:\s*(\S+)", out, re.I).group(1)
        s3.succeed("garage bucket create atproto")
        s3.succeed("garage bucket allow --read --write atproto --key app-key")
        app2.succeed(
            f"mkdir -p /run/s3 && printf %s {key_id} > /run/s3/access-key-id"
            f" && printf %s {secret} > /run/s3/secret-access-key"
        )
        app2.succeed(
            "mc alias set prod http://192.168.1.5:3900 \"$(cat /run/s3/access-key-id)\""
            " \"$(cat /run/s3/secret-access-key)\" --api S3v4"
        )
        app2.succeed("echo blob | mc pipe prod/atproto/blob.txt")
        assert app2.succeed("mc cat prod/atproto/blob.txt").strip() == "blob"

    with subtest("monitoring: Prometheus scrapes both relays"):
        lb.wait_for_unit("prometheus.service")
        lb.wait_for_unit("alertmanager.service")
        lb.wait_until_succeeds("test \"$(curl -s 'http://127.0.0.1:9090/api/v1/query?query=up%7Bjob%3D%22production-relay%22%7D' | jq -r '[.data.result[] | select(.value[1] == \"1\")] | length')\" = 2", timeout=120)
        lb.succeed("curl --fail -s http://127.0.0.1:9090/api/v1/rules | jq -e '[.data.groups[].rules[].name] | index(\"ProductionAppNodeDown\") != null'")

    with subtest("failover: app1 crashes, requests through the load balancer still succeed"):
        app1.crash()
        # Before and after HAProxy marks it down: a failed connection is
        # retried on app2 (option redispatch).
        through_lb(5)
        lb.wait_until_succeeds("echo 'show stat' | socat stdio /run/haproxy/haproxy.sock | grep -q '^api,app1,.*,DOWN'")
        before = int(haproxy_status("api", "app2")["stot"])
        through_lb(20)
        after = int(haproxy_status("api", "app2")["stot"])
        assert after - before >= 60, f"app2 served {after - before} of 60 requests while app1 was down"
        lb.wait_until_succeeds(f"test \"$(curl -s 'http://127.0.0.1:9090/api/v1/query?query=up%7Bjob%3D%22production-relay%22,node%3D%22app1%22%7D' | jq -r '.data.result[0].value[1]')\" = 0", timeout=120)

    with subtest("recovery: app1 comes back into the pool"):
        app1.start()
        app1.wait_for_unit("bluesky-relay.service")
        app1.wait_for_open_port(2470, "192.168.1.1")
        lb.wait_until_succeeds("echo 'show stat' | socat stdio /run/haproxy/haproxy.sock | grep -q '^api,app1,.*,UP,'")
        before = int(haproxy_status("api", "app1")["stot"])
        through_lb(10)
        assert int(haproxy_status("api", "app1")["stot"]) > before, "app1 serves nothing after its restart"
  '';
}
