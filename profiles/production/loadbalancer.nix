# profiles/production, role `loadbalancer`: NixOS' HAProxy in front of the app
# nodes. Plain HTTP requests go round-robin to every backend that answers the
# health check; the firehose (com.atproto.sync.subscribeRepos, a websocket)
# goes to one node per client address and stays there, because each relay
# numbers its events itself: a cursor from one node means nothing to another.
# When that node fails, the client reconnects to another and must resume
# from that node's sequence (docs/production.md).
{ config, lib, ... }:
let
  cfg = config.atnix.production;
  lb = cfg.loadBalancer;
  topo = import ./topology.nix { inherit lib cfg; };
  tls = lb.tlsCertificateFile != null;
  # One directive per line, indented under its section.
  section = header: lines: header + "\n" + lib.concatMapStrings (l: "  ${l}\n") lines;
  servers = lib.imap1 (i: backend: "server app${toString i} ${backend} check") lb.backends;
  healthChecks = [
    "option httpchk GET ${lb.healthCheckPath}"
    "http-check expect status 200"
    # A node is out after 2 failed checks 1 s apart, back after 2 good ones.
    "default-server inter 1s fall 2 rise 2"
  ];
in
{
  imports = [ ./common.nix ];

  config = lib.mkIf (topo.has "loadbalancer") {
    assertions = [
      {
        assertion = lb.backends != [ ];
        message = "the load balancer has no backends: give at least one host the role app in atnix.production.hosts, or set atnix.production.loadBalancer.backends.";
      }
    ];

    services.haproxy = {
      enable = lib.mkDefault true;
      config = lib.concatStringsSep "\n" [
        (section "global" [
          "log /dev/log local0 info"
          "maxconn 20000"
        ])
        (section "defaults" [
          "mode http"
          "log global"
          "option httplog"
          "option dontlognull"
          "option forwardfor"
          # A request whose backend failed is sent to another one.
          "option redispatch"
          "retries 2"
          "timeout connect 5s"
          "timeout client 60s"
          "timeout server 60s"
          "timeout http-request 10s"
          # Websockets (the firehose) are tunnels once upgraded: idle for up
          # to an hour between events on a quiet network.
          "timeout tunnel 1h"
        ])
        (section "frontend atproto" (
          [ "bind :${toString lb.port}" ]
          ++ lib.optionals tls [
            "bind :443 ssl crt ${lb.tlsCertificateFile} alpn h2,http/1.1"
            "http-request redirect scheme https unless { ssl_fc }"
          ]
          ++ [
            "acl firehose path_beg /xrpc/com.atproto.sync.subscribeRepos"
            "use_backend firehose if firehose"
            "default_backend api"
          ]
        ))
        (section "backend api" ([ "balance roundrobin" ] ++ healthChecks ++ servers))
        # Sticky per client address: a cursor is only valid on the node
        # that issued it.
        (section "backend firehose" (
          [
            "balance source"
            "hash-type consistent"
          ]
          ++ healthChecks
          ++ servers
        ))
      ];
    };

    networking.firewall.allowedTCPPorts = [ lb.port ] ++ lib.optional tls 443;
  };
}
