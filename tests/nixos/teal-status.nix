# The teal status API on a local PostgreSQL: the pre-start applies upstream's
# migrations, and fm.teal.actor.getStatus answers from them. The VM has no
# Jetstream; the consumer keeps retrying while the API serves. Run by the
# flake with every atnix module imported (see ./default.nix).
{ lib, ... }:
{
  name = "teal-status";

  nodes.machine =
    { pkgs, ... }:
    {
      services.teal.status.enable = true;
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
      ];
    };

  testScript = ''
    machine.wait_for_unit("postgresql.service")
    machine.wait_for_unit("teal-status.service")
    machine.wait_for_open_port(3402)
    machine.succeed("curl --fail -s http://127.0.0.1:3402/health | grep -qx ok")

    # A DID with no status record: known to nobody, so not listening.
    machine.succeed(
        "curl --fail -s 'http://127.0.0.1:3402/xrpc/fm.teal.actor.getStatus?actor=did:plc:test'"
        " | jq -e '.did == \"did:plc:test\" and .isListening == false'"
    )
    # A handle nothing resolves (no AppView in the VM) is an error, not a 200.
    machine.fail(
        "curl --fail -s 'http://127.0.0.1:3402/xrpc/fm.teal.actor.getStatus?actor=nobody.invalid'"
    )
  '';
}
