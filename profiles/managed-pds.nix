# managed-pds: simple-pds plus atproto-exporter probing this PDS (health,
# describeServer, listRepos and the subscribeRepos firehose through the
# proxy), ready for a Prometheus to scrape (enterprise-pds adds one).
#
# Not included, and why (docs/pds.md): pds-dash (witchcraft-systems/pds-dash)
# is not packaged here yet; pds-gatekeeper is only published on tangled,
# which this repository cannot pin.
{ config, lib, ... }:
let
  inherit (lib) mkDefault;
  pds = config.services.bluesky.pds;
in
{
  imports = [ ./simple-pds.nix ];

  services.atproto-exporter = {
    enable = mkDefault true;
    # Probed from outside in, through the proxy, as a client sees it.
    prometheus.targets.pds = mkDefault (lib.optional (pds.hostname != null) "https://${pds.hostname}");
  };
}
