# shellcheck shell=bash
# postwire-mime against Python's email package: every message of the MIME
# corpus (crates/mime/tests/data) parsed by examples/mimedump and by
# email (policy.default), compared field by field; deliberate differences
# are listed with their RFC reason in .ci/interop.d/30-mime.allow. Sourced
# by .ci/interop, which provides check, $W and $PY (Debian's python3).
#
# Every check function chains its steps with `|| return 1`: `check` runs it
# inside `if`, where `set -e` does not apply.

cargo build -q --example mimedump
MIMEDUMP=${CARGO_TARGET_DIR:-target}/debug/examples/mimedump

# mimedump prints one JSON line per file, in order, and refuses no message.
mime_dump_runs() {
    local files
    files=$(find crates/mime/tests/data -type f \( -name '*.eml' -o -name '*.raw' \
        -o -name '*.golden' -o -name '*.txt' \) | sort) || return 1
    # shellcheck disable=SC2086
    "$MIMEDUMP" $files >"$W/mimedump.jsonl" || return 1
    [ "$(wc -l <"$W/mimedump.jsonl")" = "$(printf '%s\n' "$files" | wc -l)" ] || return 1
    "${PY:-/usr/bin/python3}" -c 'import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    json.loads(line)' "$W/mimedump.jsonl" || return 1
    echo "$(wc -l <"$W/mimedump.jsonl") messages dumped"
}
check "mimedump: one valid JSON line per corpus message" mime_dump_runs

# The differential: any difference not in the allowlist, or an allowlist
# line that matches no difference, fails.
mime_differential() {
    "${PY:-/usr/bin/python3}" .ci/mime_differential.py --mimedump "$MIMEDUMP" || return 1
}
check "mime: postwire-mime and Python's email agree on the corpus (allowlist aside)" mime_differential
