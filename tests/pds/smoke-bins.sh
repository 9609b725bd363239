#!/usr/bin/env bash
# Lays out local stand-ins for the store objects the rendered pds.service names,
# for `atnix smoke --bin pds=OUT/pds --bin openssl=OUT/openssl ...` (scripts/test):
#
#   OUT/pds/bin/pds        runs node on lib/pds/index.js, as nixpkgs' wrapper does
#   OUT/pds/bin/node       this host's node (20.x; the container's Debian node is 18)
#   OUT/pds/lib/pds/       service-entry.js as index.js, fake-plc.js, node_modules
#                          (@atproto/pds 0.4.209 from `npm ci --prefix tests/pds/pds-0.4.209`)
#   OUT/pds/bin/atproto-exporter, OUT/pds/share/atnix-smoke/check.sh
#                          the exporter build and the check the smoke spec runs
#   OUT/pds/share/atnix-smoke/chain-check.sh, chain.js, atproto-alerts.yml, promtool
#                          the check of `atnix smoke dev` (tests/network/smoke-chain-check.sh),
#                          its client, the alert rules and this host's promtool
#   OUT/openssl/bin/openssl, OUT/sqlite/bin/sqlite3, OUT/restic/bin/restic
#                          this host's programs (the container's Debian 12 has
#                          their libraries but not them)
#
# Usage: tests/pds/smoke-bins.sh OUT EXPORTER_BINARY
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: smoke-bins.sh OUT EXPORTER_BINARY}
exporter=${2:?usage: smoke-bins.sh OUT EXPORTER_BINARY}
node=$(command -v node) || { echo "node (20.x) is not on PATH" >&2; exit 1; }
[[ $("$node" --version) == v20.* ]] || { echo "@atproto/pds 0.4.x is pinned for Node 20; found $("$node" --version)" >&2; exit 1; }
modules=$here/pds-0.4.209/node_modules
[[ -f $modules/@atproto/pds/package.json ]] || { echo "run \`npm ci --prefix tests/pds/pds-0.4.209\` first" >&2; exit 1; }
for tool in openssl sqlite3 restic promtool; do
  command -v "$tool" >/dev/null || { echo "$tool is not on PATH (Debian packages openssl, sqlite3, restic, prometheus)" >&2; exit 1; }
done

rm -rf "$out"
mkdir -p "$out"/pds/{bin,lib/pds,share/atnix-smoke} "$out"/{openssl,sqlite,restic}/bin
cp "$node" "$out/pds/bin/node"
cp "$exporter" "$out/pds/bin/atproto-exporter"
cp "$here/service-entry.js" "$out/pds/lib/pds/index.js"
cp "$here/fake-plc.js" "$here/smoke-check.sh" "$out/pds/lib/pds/"
mv "$out/pds/lib/pds/smoke-check.sh" "$out/pds/share/atnix-smoke/check.sh"
cp "$here/../network/smoke-chain-check.sh" "$out/pds/share/atnix-smoke/chain-check.sh"
cp "$here/../network/chain.js" "$here/../../contrib/prometheus/atproto-alerts.yml" "$(command -v promtool)" \
  "$out/pds/share/atnix-smoke/"
# Hard links when on one file system: 230 MB of node_modules.
cp -al "$modules" "$out/pds/lib/pds/node_modules" 2>/dev/null ||
  cp -a "$modules" "$out/pds/lib/pds/node_modules"
cat > "$out/pds/bin/pds" <<'SH'
#!/bin/sh
# nixpkgs' bluesky-pds: makeWrapper node --enable-source-maps lib/pds/index.js, NODE_ENV=production
here=$(dirname "$(readlink -f "$0")")
export NODE_ENV="${NODE_ENV:-production}"
exec "$here/node" --enable-source-maps "$here/../lib/pds/index.js" "$@"
SH
chmod +x "$out/pds/bin/pds" "$out/pds/share/atnix-smoke/check.sh" "$out/pds/share/atnix-smoke/chain-check.sh"
cp "$(command -v openssl)" "$out/openssl/bin/openssl"
cp "$(command -v sqlite3)" "$out/sqlite/bin/sqlite3"
cp "$(command -v restic)" "$out/restic/bin/restic"
echo "$out: pds $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$modules/@atproto/pds/package.json"), node $("$node" --version)"
