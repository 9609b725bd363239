# Template: NixOS VM test for services.example, found by its name
# (tests/nixos/default.nix); the flake runs it with `pkgs.testers.runNixOSTest`
# and imports all of our modules on every node. It needs KVM:
#   nix build .#checks.x86_64-linux.nixos-example
{
  name = "example";

  nodes.machine = {
    services.example.enable = true;
  };

  # Ask the API something real and check the answer, not just the status.
  testScript = ''
    import json

    machine.wait_for_unit("example.service")
    machine.wait_for_open_port(8080)

    health = json.loads(machine.succeed("curl --fail --silent http://127.0.0.1:8080/xrpc/_health"))
    assert "version" in health, f"unexpected /xrpc/_health answer: {health}"

    # Loopback by default: the only listener on the port is 127.0.0.1.
    listeners = machine.succeed("ss --no-header --listening --tcp --numeric 'sport = :8080'")
    assert "127.0.0.1:8080" in listeners, f"not listening on loopback: {listeners}"
    assert "0.0.0.0:8080" not in listeners and "[::]:8080" not in listeners, f"listening beyond loopback: {listeners}"
  '';
}
