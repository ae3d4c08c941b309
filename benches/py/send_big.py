#!/usr/bin/python3
"""Sends one large message with smtplib (issue 3 memory benchmark).

usage: send_big.py HOST:PORT MEBIBYTES [TO]

The message has a small header and MEBIBYTES MiB of 76-octet body lines; it
goes to TO (default demo@example.org). Prints the size sent and the server's
final reply; exit status 1 if the recipient was refused.
"""
import smtplib
import sys
import time


def main():
    server, mib = sys.argv[1], int(sys.argv[2])
    to = sys.argv[3] if len(sys.argv) > 3 else "demo@example.org"
    host, port = server.rsplit(":", 1)
    line = b"y" * 74 + b"\r\n"
    head = b"From: a@example.org\r\nTo: " + to.encode() + b"\r\nSubject: big\r\n\r\n"
    body = head + line * ((mib * 1024 * 1024 - len(head)) // len(line))
    start = time.perf_counter()
    with smtplib.SMTP(host, int(port)) as s:
        s.ehlo()
        refused = s.sendmail("a@example.org", [to], body)
        code, text = s.noop()
    print("sent %d octets in %.2f s (noop %d)" % (len(body), time.perf_counter() - start, code))
    sys.exit(1 if refused else 0)


if __name__ == "__main__":
    main()
