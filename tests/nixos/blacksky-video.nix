# rsky-video against a local PostgreSQL: the service connects as its static
# user over the socket (peer authentication), creates its schema at start,
# passes its ffmpeg/ffprobe preflight and answers /health. Bunny Stream is not
# reachable from a VM, and nothing at start contacts it, so the Bunny keys are
# dummies; uploads are not exercised. Run by the flake with every atnix
# module imported (see ./default.nix).
{ lib, ... }:
{
  name = "blacksky-video";

  nodes.machine =
    { pkgs, ... }:
    {
      services.blacksky.video = {
        enable = true;
        hostname = "video.test";
        bunny = {
          libraryId = "123456";
          pullZone = "vz-test";
          apiKeyFile = "/etc/bunny-api-key";
          tokenKeyFile = "/etc/bunny-token-key";
        };
      };
      environment.etc."bunny-api-key".text = "test-api-key";
      environment.etc."bunny-token-key".text = "test-token-key";
      environment.systemPackages = [ pkgs.curl ];
    };

  testScript = ''
    machine.wait_for_unit("postgresql.service")
    machine.wait_for_unit("blacksky-video.service")
    machine.wait_for_open_port(3500)

    assert machine.succeed("curl -sf http://127.0.0.1:3500/health").strip() == "OK"

    # The schema was created by the service's own role, over peer authentication.
    owner = machine.succeed(
        "sudo -u postgres psql -tAc \"select tableowner from pg_tables where schemaname = 'videos' and tablename = 'video_jobs'\" blacksky-video"
    ).strip()
    assert owner == "blacksky-video", owner

    machine.succeed("systemctl is-active blacksky-video.service")
    assert "0" == machine.succeed("systemctl show -P NRestarts blacksky-video.service").strip()
  '';
}
