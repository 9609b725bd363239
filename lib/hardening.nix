# The one systemd hardening preset every atnix service uses.
#
# `mkHardening { ... }` returns `serviceConfig` attributes. The defaults are the
# strictest settings an ordinary network daemon survives; each knob relaxes one
# thing a service legitimately needs, and says why next to it.
{ lib }:
{
  # V8 and other JITs map pages writable then executable, and node calls
  # pkey_alloc at start (killed with SIGSYS under @system-service on systemd 252).
  jit ? false,
  # Binding a port below 1024 needs CAP_NET_BIND_SERVICE.
  bindPrivilegedPorts ? false,
  # A service that only ever talks to loopback gets an IP firewall in its cgroup.
  loopbackOnly ? false,
  # Extra syscall groups the service needs on top of @system-service.
  extraSystemCalls ? [ ],
  # Address families beyond IPv4, IPv6 and Unix sockets (for example AF_NETLINK).
  extraAddressFamilies ? [ ],
}:
{
  NoNewPrivileges = true;
  ProtectSystem = "strict";
  ProtectHome = true;
  PrivateTmp = true;
  PrivateDevices = true;
  PrivateUsers = !bindPrivilegedPorts; # a user namespace cannot hold host capabilities
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
  ++ extraAddressFamilies;
  RestrictNamespaces = true;
  RestrictRealtime = true;
  RestrictSUIDSGID = true;
  LockPersonality = true;
  MemoryDenyWriteExecute = !jit;
  RemoveIPC = true;
  DevicePolicy = "closed";
  UMask = "0077";
  CapabilityBoundingSet = if bindPrivilegedPorts then [ "CAP_NET_BIND_SERVICE" ] else [ "" ];
  AmbientCapabilities = lib.optionals bindPrivilegedPorts [ "CAP_NET_BIND_SERVICE" ];
  SystemCallArchitectures = "native";
  SystemCallFilter = [
    "@system-service"
    "~@privileged"
    "~@resources"
  ]
  ++ lib.optionals jit [ "@pkey" ]
  ++ extraSystemCalls;
  SystemCallErrorNumber = "EPERM";
}
// lib.optionalAttrs loopbackOnly {
  IPAddressDeny = "any";
  IPAddressAllow = "localhost";
}
