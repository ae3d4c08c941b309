#!/usr/bin/python3
"""Client-side SMTP throughput of Python's smtplib (issue 3).

usage: smtplib_client.py HOST:PORT [--procs N] [--messages M] [--rcpts R] [--size BYTES]

Sends M messages in total, split evenly over N processes (one SMTP
connection each; processes, not threads, so the GIL does not serialise
them), each message to R recipients rcptK@example.org with a body of about
BYTES octets. Prints one line like smtp_client_bench:
`smtplib conns=N messages=M rcpts=R size=BYTES seconds=S msg_per_s=X`.
The timed region starts before the processes are started and ends when the
last one has sent QUIT. Exit status 1 if any recipient was refused.
"""
import argparse
import multiprocessing
import smtplib
import sys
import time


def message(size):
    m = b"From: a@example.org\r\nTo: rcpt0@example.org\r\nSubject: bench\r\n\r\n"
    line = b"x" * 74 + b"\r\n"
    while len(m) + len(line) <= size:
        m += line
    return m


def worker(host, port, count, rcpts, body, result):
    refused = 0
    with smtplib.SMTP(host, port) as s:
        for _ in range(count):
            refused += len(s.sendmail("a@example.org", rcpts, body))
    result.put(refused)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("server")
    p.add_argument("--procs", type=int, default=1)
    p.add_argument("--messages", type=int, default=1000)
    p.add_argument("--rcpts", type=int, default=10)
    p.add_argument("--size", type=int, default=1024)
    a = p.parse_args()
    host, port = a.server.rsplit(":", 1)
    rcpts = ["rcpt%d@example.org" % i for i in range(a.rcpts)]
    body = message(a.size)
    counts = [a.messages // a.procs + (1 if i < a.messages % a.procs else 0) for i in range(a.procs)]
    result = multiprocessing.Queue()
    start = time.perf_counter()
    if a.procs == 1:
        worker(host, int(port), counts[0], rcpts, body, result)
    else:
        procs = [multiprocessing.Process(target=worker, args=(host, int(port), c, rcpts, body, result))
                 for c in counts]
        for pr in procs:
            pr.start()
        for pr in procs:
            pr.join()
    seconds = time.perf_counter() - start
    refused = sum(result.get() for _ in counts)
    print("smtplib conns=%d messages=%d rcpts=%d size=%d seconds=%.3f msg_per_s=%.0f"
          % (a.procs, a.messages, a.rcpts, a.size, seconds, a.messages / seconds))
    if refused:
        print("smtplib_client.py: %d recipient(s) refused" % refused, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
