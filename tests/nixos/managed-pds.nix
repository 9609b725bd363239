# profiles/managed-pds.nix: simple-pds's checks, and the exporter's pds probe
# passes against this PDS.
import ./_pds-profile.nix {
  profile = "managed-pds";
  extraScript = ''
    machine.wait_for_unit("atproto-exporter.service")
    machine.wait_for_open_port(9197)
    probe = machine.succeed("curl --fail -s 'http://127.0.0.1:9197/probe?module=pds&target=http://127.0.0.1:2583'")
    assert re.search(r"^probe_success 1(\.0)?$", probe, re.M), probe
  '';
}
