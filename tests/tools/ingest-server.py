#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A stand-in for Grafana Pyroscope's legacy ingest API, for the tests.

It accepts POST /ingest (and /pyroscope/ingest) the way the real server
reads it (see ../shared/research/formats.md, section 5) and is stricter
where the real one would silently misfile data:

  name             app{k=v,...}: app of [A-Za-z0-9_./-] whose last dot part is
                   a profile type (cpu, wall), labels [A-Za-z0-9_.]+=value
  from, until      Unix seconds, from < until
  sampleRate       a positive integer (with --rate: that one)
  spyName          cprof;  units  samples;  aggregationType  sum
  format           folded
  body             "stack count" lines, split at the last space, count > 0,
                   each line under 64 KiB, no Content-Encoding

A request that breaks a rule gets 400 with Pyroscope's JSON error body and
is logged as {"error": ...}; an accepted one is logged as {"ok": ...} with
its labels, range, headers and stacks. The log is one JSON object a line.

Failure modes for the outage tests:
  --sleep S         answer every request S seconds late
  --fail-first N    answer the first N requests with --fail-status
  --fail-status C   status for those (default 503)

The port is written to --port-file once the server listens.
"""
import argparse
import base64
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

APP_RE = re.compile(r"^[A-Za-z0-9_./-]+$")
KEY_RE = re.compile(r"^[A-Za-z0-9_.]+$")
TYPES = {"cpu", "wall"}
MAX_LINE = 64 * 1024


class Invalid(Exception):
    pass


def parse_name(name):
    m = re.fullmatch(r"([^{}]*)(?:\{([^{}]*)\})?", name)
    if not m:
        raise Invalid("name %r: want app{k=v,...}" % name)
    app, labels_text = m.group(1), m.group(2)
    if not APP_RE.match(app):
        raise Invalid("name %r: bad application name" % name)
    if app.rsplit(".", 1)[-1] not in TYPES:
        raise Invalid("name %r: no profile type suffix (.cpu, .wall)" % name)
    labels = {}
    if labels_text is not None:
        if not labels_text:
            raise Invalid("name %r: empty label set" % name)
        for pair in labels_text.split(","):
            k, eq, v = pair.partition("=")
            if not eq or not KEY_RE.match(k) or not v or v != v.strip():
                raise Invalid("name %r: bad label %r" % (name, pair))
            if k.startswith("__"):
                raise Invalid("name %r: reserved label %r" % (name, k))
            if k in labels:
                raise Invalid("name %r: label %r twice" % (name, k))
            labels[k] = v
    return app, labels


def one(q, key):
    v = q.get(key)
    if not v:
        raise Invalid("missing parameter %r" % key)
    if len(v) != 1:
        raise Invalid("parameter %r given %d times" % (key, len(v)))
    return v[0]


def parse_folded(body):
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Invalid("body is not UTF-8: %s" % e)
    stacks = {}
    if text and not text.endswith("\n"):
        raise Invalid("body does not end with a newline")
    for n, line in enumerate(text.splitlines(), 1):
        if len(line.encode()) >= MAX_LINE:
            raise Invalid("line %d is %d bytes (the server reads 64 KiB lines)" % (n, len(line)))
        stack, sp, count = line.rpartition(" ")
        if not sp or not stack or not count.isdigit() or int(count) <= 0:
            raise Invalid("line %d: not 'stack count': %r" % (n, line[:200]))
        stacks[stack] = stacks.get(stack, 0) + int(count)
    if not stacks:
        raise Invalid("empty body")
    return stacks


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b""):
        self.send_response(status)
        if body:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.reply(405, b'{"code":"unimplemented","message":"POST only"}')

    def do_POST(self):
        srv = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        with srv.lock:
            srv.requests += 1
            nth = srv.requests
        if srv.args.sleep:
            time.sleep(srv.args.sleep)
        if nth <= srv.args.fail_first:
            srv.log({"failed_on_purpose": nth})
            self.reply(srv.args.fail_status,
                       b'{"code":"unavailable","message":"failing on purpose"}')
            return
        try:
            rec = self.check(body)
        except Invalid as e:
            srv.log({"error": str(e), "path": self.path})
            msg = json.dumps({"code": "invalid_argument", "message": str(e)}).encode()
            self.reply(400, msg)
            return
        srv.log({"ok": rec})
        self.reply(200)

    def check(self, body):
        url = urlsplit(self.path)
        if url.path not in ("/ingest", "/pyroscope/ingest"):
            raise Invalid("path %r is not /ingest" % url.path)
        q = parse_qs(url.query, keep_blank_values=True, strict_parsing=True)
        app, labels = parse_name(one(q, "name"))
        frm, until = one(q, "from"), one(q, "until")
        if not frm.isdigit() or not until.isdigit():
            raise Invalid("from/until not digits: %r %r" % (frm, until))
        frm, until = int(frm), int(until)
        # Unix seconds: 10 digits for the next few centuries.
        if not (10**9 <= frm < until < 10**10):
            raise Invalid("from %d until %d: not Unix seconds with from < until" % (frm, until))
        rate = one(q, "sampleRate")
        if not rate.isdigit() or int(rate) <= 0:
            raise Invalid("sampleRate %r" % rate)
        if self.server.args.rate and int(rate) != self.server.args.rate:
            raise Invalid("sampleRate %s, expected %d" % (rate, self.server.args.rate))
        for key, want in (("spyName", "cprof"), ("units", "samples"),
                          ("aggregationType", "sum"), ("format", "folded")):
            if one(q, key) != want:
                raise Invalid("%s=%r, expected %r" % (key, one(q, key), want))
        if self.headers.get("Content-Encoding"):
            raise Invalid("Content-Encoding %r: the server does not decompress"
                          % self.headers.get("Content-Encoding"))
        stacks = parse_folded(body)
        auth = self.headers.get("Authorization")
        basic = None
        if auth and auth.startswith("Basic "):
            basic = base64.b64decode(auth[6:]).decode()
        return {
            "app": app,
            "labels": labels,
            "from": frm,
            "until": until,
            "sampleRate": int(rate),
            "authorization": auth,
            "basic": basic,
            "tenant": self.headers.get("X-Scope-OrgID"),
            "user_agent": self.headers.get("User-Agent"),
            "stacks": stacks,
        }


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, args):
        super().__init__(("127.0.0.1", args.port), Handler)
        self.args = args
        self.lock = threading.Lock()
        self.requests = 0
        self.out = open(args.log, "a", buffering=1)

    def log(self, rec):
        with self.lock:
            self.out.write(json.dumps(rec, sort_keys=True) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log", required=True, help="JSON lines of requests")
    ap.add_argument("--rate", type=int, default=0, help="expected sampleRate")
    ap.add_argument("--sleep", type=float, default=0)
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--fail-status", type=int, default=503)
    args = ap.parse_args()
    srv = Server(args)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(args.port_file + ".tmp", args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
