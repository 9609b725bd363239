# The one systemd hardening preset every atnix service uses.
#
# `mkHardening { ... }` returns `serviceConfig` attributes. The defaults are the
# strictest settings an ordinary network daemon survives; each knob relaxes one
# thing a service legitimately needs, and the line it changes says why.
#
# Measured with `atnix harden --fixtures` (systemd-analyze security
# --offline=true, systemd 252; table in docs/hardening.md): a loopback service
# using only this preset grades 0.9 (with or without `jit`), one reachable
# from the network 1.1. What remains is what a network daemon needs:
# PrivateNetwork= (0.5), AF_INET/AF_INET6 (0.3), the IP allow list (0.1, 0.2
# without loopbackOnly), char-rtc read access from ProtectClock (0.1), the
# host root directory (0.1) and AF_UNIX (0.1). nixpkgs' bluesky-pds unit
# grades 2.7 on the same systemd.
#
# Knobs:
#   jit                 V8 and other JITs map pages writable, then executable:
#                       MemoryDenyWriteExecute=false. Node also calls
#                       pkey_alloc at start and is killed with SIGSYS under
#                       @system-service on systemd 252: adds @pkey.
#   bindPrivilegedPorts binding a port below 1024 needs CAP_NET_BIND_SERVICE
#                       (bounding and ambient set) and no PrivateUsers=, since
#                       a capability inside a user namespace does not count for
#                       the host network namespace.
#   loopbackOnly        the service only ever talks to 127.0.0.1/::1 (a
#                       backend behind nginx, an exporter scraped locally):
#                       IPAddressDeny=any, IPAddressAllow=localhost.
#   extraSystemCalls    SystemCallFilter= entries appended after the preset's
#                       (e.g. "@resources" for a service that sets rlimits).
#   extraAddressFamilies address families beyond AF_INET, AF_INET6, AF_UNIX
#                       (e.g. "AF_NETLINK" to enumerate interfaces).
# Users and state (User=/DynamicUser=, StateDirectory=) are the module's job.
{ lib }:
{
  jit ? false,
  bindPrivilegedPorts ? false,
  loopbackOnly ? false,
  extraSystemCalls ? [ ],
  extraAddressFamilies ? [ ],
}:
{
  NoNewPrivileges = true;
  ProtectSystem = "strict";
  ProtectHome = true;
  PrivateTmp = true;
  PrivateDevices = true;
  PrivateUsers = !bindPrivilegedPorts; # relaxed for bindPrivilegedPorts: a user namespace cannot hold host capabilities
  PrivateMounts = true;
  ProtectHostname = true;
  ProtectClock = true;
  ProtectKernelTunables = true;
  ProtectKernelModules = true;
  ProtectKernelLogs = true;
  ProtectControlGroups = true;
  ProtectProc = "invisible";
  ProcSubset = "pid";
  RestrictAddressFamilies = [
    "AF_INET"
    "AF_INET6"
    "AF_UNIX"
  ]
  ++ extraAddressFamilies; # extraAddressFamilies: only what the caller names and justifies
  RestrictNamespaces = true;
  RestrictRealtime = true;
  RestrictSUIDSGID = true;
  LockPersonality = true;
  MemoryDenyWriteExecute = !jit; # relaxed for jit: V8 maps pages writable then executable
  RemoveIPC = true;
  DevicePolicy = "closed";
  UMask = "0077";
  CapabilityBoundingSet = if bindPrivilegedPorts then [ "CAP_NET_BIND_SERVICE" ] else [ "" ]; # bindPrivilegedPorts: ports below 1024
  AmbientCapabilities = lib.optionals bindPrivilegedPorts [ "CAP_NET_BIND_SERVICE" ]; # bindPrivilegedPorts: ports below 1024
  SystemCallArchitectures = "native";
  SystemCallFilter = [
    "@system-service"
    "~@privileged"
    "~@resources"
  ]
  ++ lib.optionals jit [ "@pkey" ] # relaxed for jit: node calls pkey_alloc at start (SIGSYS on systemd 252 otherwise)
  ++ extraSystemCalls; # extraSystemCalls: only what the caller names and justifies
  SystemCallErrorNumber = "EPERM";
}
// lib.optionalAttrs loopbackOnly {
  IPAddressDeny = "any";
  IPAddressAllow = "localhost";
}
