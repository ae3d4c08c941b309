#!/usr/bin/python3
"""Differential test of postwire-mime against Python's email package.

Every message under crates/mime/tests/data is parsed twice: by
`cargo run --example mimedump` (postwire-mime) and here by Python's
`email` (policy.default, stdlib only), into the same JSON shape (see
examples/mimedump/summary.rs). The two are compared field by field. A
difference fails the run unless the allowlist names it, with the RFC reason
why postwire-mime deliberately reads the message differently; an allowlist
entry that no longer matches any difference fails too, so the list stays
true.

Usage: mime_differential.py [--mimedump BINARY] [--allowlist FILE] [-v] [DATA_DIR]

Run with Debian's /usr/bin/python3. Without --mimedump the example is
built with cargo and run from the target directory cargo reports.
"""

import argparse
import codecs
import email
import email.policy
import email.utils
import hashlib
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "crates", "mime", "tests", "data")
ALLOWLIST = os.path.join(ROOT, ".ci", "interop.d", "30-mime.allow")
MESSAGE_EXTENSIONS = (".eml", ".raw", ".golden", ".txt")

# Python defect classes that name the same damage as a postwire-mime
# Defect. Only these defects are compared: the two libraries report other
# kinds of damage at different granularity.
DEFECT_NAMES = {
    "CloseBoundaryNotFoundDefect": "missing-final-boundary",
    "StartBoundaryNotFoundDefect": "no-boundary-found",
    "NoBoundaryInMultipartDefect": "missing-boundary-parameter",
    "FirstHeaderLineIsContinuationDefect": "first-line-is-continuation",
    "MissingHeaderBodySeparatorDefect": "missing-header-body-separator",
    "InvalidBase64PaddingDefect": "invalid-base64-padding",
    "InvalidBase64LengthDefect": "invalid-base64-padding",
    "InvalidBase64CharactersDefect": "invalid-base64",
}
COMPARED_DEFECTS = set(DEFECT_NAMES.values())


def messages(data_dir):
    out = []
    for dirpath, dirnames, filenames in os.walk(data_dir):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(MESSAGE_EXTENSIONS):
                out.append(os.path.join(dirpath, name))
    return out


def utf8(s):
    """Python keeps the 8-bit bytes of a header parsed from bytes as
    surrogate escapes; read them as UTF-8, as RFC 6532 says they are."""
    if s is None:
        return None
    return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def people(msg, name, defects):
    header = msg[name]
    if header is None:
        return []
    defects.extend(header.defects)
    out = []
    for a in header.addresses:  # groups flattened
        spec = a.addr_spec
        out.append({
            "name": utf8(a.display_name) or None,
            # Python writes the null reverse-path as "<>", mimedump as "".
            "address": "" if spec == "<>" else utf8(spec),
        })
    return out


def rfc3339(header):
    if header is None or header.datetime is None:
        return None
    d = header.datetime
    if not 1 <= d.year <= 9999:
        return None
    s = d.replace(microsecond=0, tzinfo=None).isoformat()
    if d.tzinfo is None:
        # -0000 and unknown zones: UTC, local offset unknown (RFC 3339 4.3).
        return s + "-00:00"
    off = d.utcoffset()
    minutes = int(off.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return "%s%s%02d:%02d" % (s, sign, minutes // 60, minutes % 60)


def message_id(msg):
    value = msg.get("message-id")
    if value is None:
        return None
    value = str(value)
    m = re.search(r"<([^>]*)>", value)
    if m:
        return utf8(re.sub(r"\s", "", m.group(1))) or None
    for word in re.split(r"[\s,]+", value):
        if "@" in word:
            return word
    return None


def text_of(part, payload):
    charset = part.get_content_charset()
    if charset:
        try:
            codecs.lookup(charset)
        except LookupError:
            charset = "utf-8"  # unknown charset: UTF-8 with U+FFFD (mimedump's rule)
    return payload.decode(charset or "us-ascii", errors="replace")


def disposition(part):
    d = part.get_content_disposition()
    if not d:
        return None
    if d == "inline":
        return "inline"
    return "attachment"  # RFC 2183 2.8: unknown types are treated as attachment


def summarize(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    defects = []
    subject = msg["subject"]
    summary = {
        "subject": None if subject is None else utf8(str(subject).strip()),
        "from": people(msg, "from", defects),
        "to": people(msg, "to", defects),
        "cc": people(msg, "cc", defects),
        "date": rfc3339(msg["date"]),
        "message_id": message_id(msg),
        "parts": [],
    }
    for part in msg.walk():
        defects.extend(part.defects)
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if payload is None:
            payload = b""
        defects.extend(part.defects)
        summary["parts"].append({
            "content_type": part.get_content_type(),
            "charset": part.get_content_charset(),
            "disposition": disposition(part),
            "filename": utf8(part.get_filename()),
            "size": len(payload),
            "sha256": hashlib.sha256(payload).hexdigest(),
            "text": text_of(part, payload) if part.get_content_maintype() == "text" else None,
        })
    names = {DEFECT_NAMES[type(d).__name__] for d in defects if type(d).__name__ in DEFECT_NAMES}
    summary["defects"] = sorted(names)
    return summary


def diff(ours, theirs, path=""):
    """Yields (field path, ours, theirs) for every difference."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in ours.keys() | theirs.keys():
            yield from diff(ours.get(key), theirs.get(key), "%s.%s" % (path, key) if path else key)
    elif isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        for i, (a, b) in enumerate(zip(ours, theirs)):
            yield from diff(a, b, "%s[%d]" % (path, i))
    elif ours != theirs:
        yield path, ours, theirs


def load_allowlist(path):
    """Lines `MESSAGE FIELD REASON...`. FIELD is a field path (`to`,
    `parts[2].text`) and covers the fields below it; `*` covers every field."""
    entries = []
    if not os.path.exists(path):
        return entries
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 3:
                sys.exit("%s:%d: want MESSAGE FIELD REASON" % (path, n))
            entries.append({"message": parts[0], "field": parts[1], "reason": parts[2], "line": n, "used": False})
    return entries


def allowed(entries, message, field):
    hit = False
    for e in entries:
        if e["message"] == message and (e["field"] in ("*", field) or field.startswith(e["field"] + ".")
                                        or field.startswith(e["field"] + "[")):
            e["used"] = True
            hit = True
    return hit


def mimedump_binary(args):
    if args.mimedump:
        return args.mimedump
    subprocess.run(["cargo", "build", "-q", "--example", "mimedump"], cwd=ROOT, check=True)
    meta = subprocess.run(["cargo", "metadata", "-q", "--format-version", "1", "--no-deps"],
                          cwd=ROOT, check=True, capture_output=True)
    target = json.loads(meta.stdout)["target_directory"]
    return os.path.join(target, "debug", "examples", "mimedump")


def short(v):
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= 160 else s[:157] + "..."


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mimedump", help="the built mimedump example")
    ap.add_argument("--allowlist", default=ALLOWLIST)
    ap.add_argument("-v", "--verbose", action="store_true", help="also print allowed differences")
    ap.add_argument("data", nargs="?", default=DATA)
    args = ap.parse_args()
    binary = mimedump_binary(args)
    entries = load_allowlist(args.allowlist)
    files = messages(args.data)
    out = subprocess.run([binary] + files, check=True, capture_output=True)
    lines = out.stdout.decode("utf-8").splitlines()
    if len(lines) != len(files):
        sys.exit("mimedump printed %d lines for %d files" % (len(lines), len(files)))
    failures = allowed_count = 0
    for path, line in zip(files, lines):
        rel = os.path.relpath(path, args.data)
        ours = json.loads(line)
        ours["defects"] = [d for d in ours["defects"] if d in COMPARED_DEFECTS]
        try:
            theirs = summarize(open(path, "rb").read())
        except Exception as e:  # Python's parser gave up: that is a difference too
            theirs = {"python-error": repr(e)}
        for field, a, b in sorted(diff(ours, theirs)):
            if allowed(entries, rel, field):
                allowed_count += 1
                if args.verbose:
                    print("allowed %s %s\n    postwire %s\n    python   %s" % (rel, field, short(a), short(b)))
                continue
            failures += 1
            print("DIFF %s %s\n    postwire %s\n    python   %s" % (rel, field, short(a), short(b)))
    for e in entries:
        if not e["used"]:
            failures += 1
            print("STALE allowlist line %d: %s %s (no such difference)" % (e["line"], e["message"], e["field"]))
    print("%d messages, %d allowed differences, %d failures" % (len(files), allowed_count, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
