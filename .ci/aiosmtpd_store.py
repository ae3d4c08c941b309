"""aiosmtpd handler for the interop suite: stores each message's bytes as
received (after dot-unstuffing, before any parsing) with its envelope, so a
test can compare them byte for byte. Run by .ci/peers.sh with Debian's python."""

import json
import os


class Store:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("aiosmtpd_store.Store takes one argument: the directory")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, str(self.count))
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".json", "w", encoding="utf-8") as f:
            json.dump(
                {
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": envelope.rcpt_tos,
                    "mail_options": envelope.mail_options,
                },
                f,
                ensure_ascii=False,
            )
        return "250 2.0.0 stored as %d" % self.count
