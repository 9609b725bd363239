#!/usr/bin/env bash
# Lays out a local stand-in for the leaflet store object the rendered
# leaflet.service names, as pkgs/leaflet/package.nix installs it, for
# `atnix smoke leaflet --bin leaflet=OUT/leaflet`:
#
#   OUT/leaflet/bin/leaflet        runs node on lib/leaflet/server.js, as the
#                                  package's makeWrapper does
#   OUT/leaflet/bin/node           this host's node
#   OUT/leaflet/lib/leaflet/       .next/standalone, plus .next/static and
#                                  public/, .next/cache -> /var/cache/leaflet
#
# SRC is a checkout of the pin in pkgs/leaflet/source.json, built natively the
# way the package builds it (its postPatch, `npm ci --ignore-scripts`, then
# `next build` with the package's NEXT_TELEMETRY_DISABLED=1 and
# SUPABASE_SERVICE_ROLE_KEY placeholder and NEXT_PUBLIC_* values for
# loopback, in a network namespace with only loopback up; the recorded run used NEXT_PUBLIC_SUPABASE_API_URL=
# http://127.0.0.1:54321, NEXT_PUBLIC_SUPABASE_ANON_KEY=smoke-anon-key and
# NEXT_PUBLIC_APP_URL=http://127.0.0.1:3000). The front page the smoke spec
# asks for depends on none of them.
#
# Usage: tests/leaflet/smoke-bins.sh OUT SRC
set -euo pipefail
out=${1:?usage: smoke-bins.sh OUT SRC}
src=${2:?usage: smoke-bins.sh OUT SRC}
node=$(command -v node) || { echo "node is not on PATH" >&2; exit 1; }
[[ -f $src/.next/standalone/server.js ]] ||
  { echo "$src/.next/standalone/server.js is missing: build SRC first (see the header)" >&2; exit 1; }

rm -rf "$out/leaflet"
app=$out/leaflet/lib/leaflet
mkdir -p "$out/leaflet/bin" "$app"
cp "$node" "$out/leaflet/bin/node"
# Hard links when on one file system.
cp -al "$src/.next/standalone/." "$app/" 2>/dev/null || cp -a "$src/.next/standalone/." "$app/"
cp -a "$src/.next/static" "$app/.next/static"
cp -a "$src/public" "$app/public"
rm -rf "$app/.next/cache"
ln -s /var/cache/leaflet "$app/.next/cache"
cat > "$out/leaflet/bin/leaflet" <<'SH'
#!/bin/sh
# pkgs/leaflet: makeWrapper node lib/leaflet/server.js, NODE_ENV=production
here=$(dirname "$(readlink -f "$0")")
export NODE_ENV="${NODE_ENV:-production}" NEXT_TELEMETRY_DISABLED=1
exec "$here/node" "$here/../lib/leaflet/server.js" "$@"
SH
chmod +x "$out/leaflet/bin/leaflet"
echo "$out/leaflet: leaflet standalone server, node $("$node" --version)"
