# SPDX-License-Identifier: MIT
"""Shared helpers of scripts/bench-threads, bench-cost, bench-e2e,
bench-accuracy and bench-all: the machine, the load, cprof's summary, the
busy target, tables and the JSON that bench-all combines.

Every benchmark script prints one table of rows

    metric, value, baseline, ratio, goal, result

and, with --json FILE, writes {"bench": NAME, "machine": ..., "load": ...,
"rows": [...], ...} for bench-all. A benchmark, not a test: exit 0 whether
or not the goals are met, 1 only when it could not run.
"""

import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEAD = ["metric", "value", "baseline", "ratio", "goal", "result"]


def die(prog, msg):
    print("%s: %s" % (prog, msg), file=sys.stderr)
    sys.exit(1)


def note(msg):
    print(msg, file=sys.stderr, flush=True)


# ---- the machine and its load -------------------------------------------


def machine_info():
    model, hyper = "unknown", False
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model == "unknown":
                    model = line.split(":", 1)[1].strip()
                if line.startswith("flags") and " hypervisor" in line:
                    hyper = True
    except OSError:
        pass
    return {"nproc": len(os.sched_getaffinity(0)), "kernel": platform.release(),
            "cpu": model + (" (virtual machine)" if hyper else "")}


class LoadWatch:
    """The 1-minute load average, every few seconds, while a benchmark runs."""

    def __init__(self, every=5.0):
        self.every = every
        self.values = [os.getloadavg()[0]]
        self.t0 = time.monotonic()
        self._stop = threading.Event()
        self._th = threading.Thread(target=self._run, daemon=True)
        self._th.start()

    def _run(self):
        while not self._stop.wait(self.every):
            self.values.append(os.getloadavg()[0])

    def stop(self):
        self._stop.set()
        self._th.join()
        self.values.append(os.getloadavg()[0])
        self.elapsed = time.monotonic() - self.t0
        return self.summary()

    def summary(self):
        v = self.values
        return {"start": v[0], "end": v[-1], "min": min(v), "max": max(v),
                "median": statistics.median(v), "elapsed_s": getattr(self, "elapsed", None)}


def load_text(ld):
    return "load average %.1f at start, %.1f at end (min %.1f, median %.1f, max %.1f)" % (
        ld["start"], ld["end"], ld["min"], ld["median"], ld["max"])


def print_header(title, m, ld):
    print()
    print(title)
    print("machine: %d CPUs, %s, Linux %s; %s%s" % (
        m["nproc"], m["cpu"], m["kernel"], load_text(ld),
        "; %.0f s" % ld["elapsed_s"] if ld.get("elapsed_s") else ""))


def load_warning(m, ld):
    if ld["max"] <= m["nproc"] - 1:
        return
    print()
    print("warning: the machine was busy (load average up to %.1f on %d CPUs): the targets"
          % (ld["max"], m["nproc"]))
    print("shared the CPUs with other work, so wall times carry that noise; compare the")
    print("ratios with the noise rows, measured in the same run. See docs/PERFORMANCE.md.")


# ---- numbers ---------------------------------------------------------------


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt_ratio(r):
    return "%.2fx" % r if r is not None else "n/a"


def fmt_pct(x, sign=True):
    if x is None:
        return "n/a"
    return ("%+.2f%%" if sign else "%.2f%%") % (100 * x)


def fmt_ns(ns):
    if ns is None:
        return "n/a"
    if ns >= 1e9:
        return "%.2f s" % (ns / 1e9)
    if ns >= 1e6:
        return "%.2f ms" % (ns / 1e6)
    return "%.0f us" % (ns / 1e3)


def fmt_s(s):
    if s is None:
        return "n/a"
    if s >= 1:
        return "%.2f s" % s
    return "%.0f ms" % (s * 1e3)


def fmt_mb(b):
    return "n/a" if b is None else "%.1f MB" % (b / 1e6)


UNIT_NS = {"ns": 1, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9}
DUR = r"([\d.]+) ?(ns|us|µs|ms|s)\b"


def parse_cprof_summary(text):
    """The numbers of cprof record's summary lines (cmd-record.c, summary())."""
    out = {}
    m = re.search(r"pause per sample p50 " + DUR + r", p99 " + DUR + r", max " + DUR, text)
    if not m:
        return None
    g = m.groups()
    out["p50_ns"] = float(g[0]) * UNIT_NS[g[1]]
    out["p99_ns"] = float(g[2]) * UNIT_NS[g[3]]
    out["max_ns"] = float(g[4]) * UNIT_NS[g[5]]
    pats = {"samples": r"recorded (\d+) samples", "threads": r"samples of (\d+) thread",
            "lost": r"lost (\d+) samples", "late_ticks": r"(\d+) late ticks",
            "skipped": r"(\d+) threads skipped for time",
            "unwind_errors": r"(\d+) unwind errors"}
    for k, pat in pats.items():
        m = re.search(pat, text)
        out[k] = int(m.group(1)) if m else None
    m = re.search(r"in ([\d.]+) s at", text)
    out["secs"] = float(m.group(1)) if m else None
    m = re.search(r"estimated target overhead ([\d.]+)%", text)
    out["estimate_pct"] = float(m.group(1)) if m else None
    # -v: the phases after sampling (cmd-record.c), when cprof reports them.
    m = re.search(r"finish: sampler stopped and drained in " + DUR + r", outputs written in "
                  + DUR, text)
    if m:
        g = m.groups()
        out["drain_ns"] = float(g[0]) * UNIT_NS[g[1]]
        out["write_ns"] = float(g[2]) * UNIT_NS[g[3]]
    m = re.search(r"this thread's CPU time: " + DUR + " and " + DUR, text)
    if m:
        g = m.groups()
        out["drain_cpu_ns"] = float(g[0]) * UNIT_NS[g[1]]
        out["write_cpu_ns"] = float(g[2]) * UNIT_NS[g[3]]
    return out


def parse_kv_line(text, label):
    """'label k=v k=v' from the helpers' output."""
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] == label:
            d = {}
            for p in parts[1:]:
                k, _, v = p.partition("=")
                try:
                    d[k] = float(v)
                except ValueError:
                    d[k] = v
            return d
    return None


# ---- processes -------------------------------------------------------------


def task_cpu_ns(pid):
    """CPU time of all live threads of pid, in ns (schedstat), or None."""
    total = 0
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return None
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def rss_bytes(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def wait_rusage(pid, timeout, prog="bench"):
    """Reap pid within timeout (then SIGINT, then SIGKILL); (status, rusage, t_exit).

    If something else reaped it (seen once in a long run; the status is then
    lost), status is 0 and rusage None."""
    deadline = time.monotonic() + timeout
    sent = None
    while True:
        try:
            r, status, ru = os.wait4(pid, os.WNOHANG)
        except ChildProcessError:
            note("%s: process %d was reaped elsewhere: no exit status or rusage" % (prog, pid))
            return 0, None, time.monotonic()
        if r == pid:
            return status, ru, time.monotonic()
        now = time.monotonic()
        if now >= deadline:
            if sent is None:
                os.kill(pid, signal.SIGINT)
                sent, deadline = "INT", now + 30
            elif sent == "INT":
                os.kill(pid, signal.SIGKILL)
                sent, deadline = "KILL", now + 10
            else:
                die(prog, "process %d does not go away" % pid)
        time.sleep(0.005)


def build_tools(build, prog, targets=("bench-tools",)):
    """make B=build <targets> (cprof itself too); die if it fails."""
    # Make's progress lines go to stderr: stdout is for the table.
    r = subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT, "B=" + build,
                        os.path.join(build, "cprof")] + list(targets), stdout=sys.stderr)
    if r.returncode:
        die(prog, "make %s failed" % " ".join(targets))


class Busy:
    """scripts/bench/busy.c: start, wait for 'ready PID', 'go', read 'done'."""

    def __init__(self, build, args, pin=None):
        self.path = os.path.join(build, "bench", "busy")
        self.p = subprocess.Popen([self.path] + [str(a) for a in args], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True,
                                  preexec_fn=(lambda: os.sched_setaffinity(0, pin)) if pin
                                  else None)
        line = self.p.stdout.readline().split()
        if len(line) != 2 or line[0] != "ready":
            raise RuntimeError("busy did not start: %r" % line)
        self.pid = int(line[1])

    def go(self):
        self.p.stdin.write("go\n")
        self.p.stdin.flush()

    def done(self):
        d = parse_kv_line(self.p.stdout.read(), "done")
        self.p.wait()
        return d

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def calibrate(build, secs=0.5):
    out = subprocess.run([os.path.join(build, "bench", "busy"), "-c", str(secs)],
                         capture_output=True, text=True, check=True).stdout
    return parse_kv_line("x " + out, "x")["iters_per_sec"]


def perf_usable(tmp):
    """None if `perf record` can sample here, else the reason."""
    perf = shutil.which("perf")
    if not perf:
        return "n/a: perf is not installed"
    out = os.path.join(tmp, "perf-probe.data")
    try:
        p = subprocess.run([perf, "record", "-q", "-F", "100", "--call-graph", "dwarf", "-o", out,
                            "--", "true"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "n/a: perf record: %s" % e
    finally:
        try:
            os.unlink(out)
        except OSError:
            pass
    if p.returncode:
        why = (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[0]
        return "n/a: perf record not permitted: %s" % why[:80]
    return None


# ---- tables -----------------------------------------------------------------


def print_table(rows, markdown=False, head=None):
    head = head or HEAD
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join(["---"] * len(head)) + "|")
        for r in rows:
            print("| " + " | ".join(str(c) for c in r) + " |")
        return
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]

    def line(r):
        return "  ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)).rstrip()

    print(line(head))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def verdict(ok, noisy=False):
    """pass/MISS; noisy: the noise measured in the same run exceeds the goal."""
    v = "pass" if ok else "MISS"
    return v + " (below noise)" if noisy else v
