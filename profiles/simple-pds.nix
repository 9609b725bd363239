# simple-pds: one Bluesky PDS behind nginx with a certificate from ACME for
# its hostname and every handle below it (DNS-01), ports 80 and 443 open.
# Import it, then set what only you know (docs/pds.md):
#
#   services.bluesky.pds.hostname = "pds.example.com";
#   services.bluesky.pds.proxy.acme = { dnsProvider = "cloudflare"; credentialsFile = "/run/secrets/acme.env"; };
#   security.acme = { acceptTerms = true; defaults.email = "you@example.com"; };
#
# Everything is lib.mkDefault except the security settings, which a profile
# should not leave weaker by accident: loopback listener, invites required,
# rate limits on.
{ lib, ... }:
let
  inherit (lib) mkDefault;
in
{
  services.bluesky.pds = {
    enable = mkDefault true;
    proxy = {
      type = mkDefault "nginx";
      openFirewall = mkDefault true;
    };
    # Security settings: set plainly, override with mkForce if you mean it.
    listenAddress = "127.0.0.1";
    openFirewall = false;
    invites.required = true;
    rateLimits.enable = true;
  };
  services.nginx = {
    recommendedTlsSettings = mkDefault true;
    recommendedGzipSettings = mkDefault true;
  };
}
