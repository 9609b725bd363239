# profiles/enterprise-pds.nix: simple-pds's checks; Prometheus loads our
# alert rules and scrapes the exporter's pds probe of this PDS; Grafana has
# our dashboard; a backup runs and pds-restore brings the post back.
import ./_pds-profile.nix {
  profile = "enterprise-pds";
  extraConfig =
    { pkgs, ... }:
    {
      services.bluesky.pds.backup = {
        repositoryFile = "/etc/pds-restic-repository";
        passwordFile = "/etc/pds-restic-password";
      };
      environment.etc."pds-restic-repository".text = "/var/lib/pds-restic";
      environment.etc."pds-restic-password".text = "vm-test-password";
      services.atproto-exporter.prometheus.targets.pds = [ "http://127.0.0.1:2583" ];
    };
  extraScript = ''
    machine.wait_for_unit("prometheus.service")
    machine.wait_for_open_port(9090)
    machine.wait_until_succeeds(
        "curl --fail -s http://127.0.0.1:9090/api/v1/rules | jq -e '[.data.groups[].rules[]] | length > 0'"
    )
    machine.wait_until_succeeds(
        "curl --fail -s 'http://127.0.0.1:9090/api/v1/query?query=probe_success' "
        "| jq -e '.data.result[] | select(.metric.instance == \"http://127.0.0.1:2583\") | .value[1] == \"1\"'",
        timeout=180,
    )
    machine.wait_for_unit("grafana.service")
    machine.wait_for_open_port(3000)
    machine.wait_until_succeeds(
        "curl --fail -s -u admin:admin http://127.0.0.1:3000/api/dashboards/uid/atproto-exporter | jq -e '.dashboard.uid == \"atproto-exporter\"'"
    )

    machine.succeed("systemctl start restic-backups-pds.service")
    machine.succeed("systemctl stop pds.service && find /var/lib/private/pds -mindepth 1 -delete")
    machine.succeed("systemctl start pds-restore.service")
    machine.wait_for_open_port(2583)
    machine.succeed(
        f"{curl} 'https://localhost/xrpc/com.atproto.repo.getRecord?repo={did}&collection=app.bsky.feed.post&rkey={rkey}'"
        " | jq -e '.value.text == \"hello from enterprise-pds\"'"
    )
  '';
}
