#!/usr/bin/env python3
"""The ns-tool benchmark (`cargo make bench`; bench/tasks.toml).

Measures ns-tool side by side with the reference tools, all in one run on
this machine, and writes one Markdown table (report.md, also printed) and
the raw figures (report.json) to --out:

  size      static binary size: ns-tool x86_64 and aarch64 vs tini-static,
            catatonit, busybox
  startup   `ns-tool pid -- T` vs `unshare --pid --fork T` and friends, T
            being a do-nothing static program built here (bench/progs/t.S);
            and `ns-tool init -- T` vs `tini-static -s -- T`, `dumb-init T`
            and `catatonit -- T`, run directly (an init needs no namespace);
            timed by hyperfine in many short rounds with the command order
            rotated, so that noise from the rest of the machine falls on
            every command alike; T's own time is subtracted
  syscalls  `strace -f -c` of each start-up command, and of `ns-tool pid`
  memory    VmHWM of the namespace's PID 1 (ns-tool pid --init, ns-tool
            init, tini, ..., each under `unshare --pid --fork` but ns-tool
            pid --init) while COMMAND (bench/progs/sleeper.c) sleeps
  growth    --nest 1/8/32, and --init reaping N orphans
            (bench/progs/orphans.c)
  subcommands  what each subcommand added to the x86_64 binary when it
            landed: the commits before and after it (SUBCOMMANDS), each
            built here and now, sstripped, sizes cached by commit in
            --out/commit-sizes.json (not in the smoke run)

Then each of the issue's targets is checked as a ratio from this same run
and marked PASS or MISS. Nothing here asserts a timing: the exit status is
nonzero only when something broke (a tool failed, a figure is missing).

Needs root (PID namespaces), cc, strace and hyperfine; reference tools that
are not installed are reported as such, never estimated.
`bench.py --check DIR` validates a report written earlier (bench-smoke).
"""

import argparse
import datetime
import json
import os
import platform
import re
import select
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

KIB = 1024

# Every measured command runs with this environment, whoever starts the
# bench: glibc-linked tools read locale files under most LANG settings
# (util-linux unshare: 46 syscalls with LC_ALL=C, 120 with LANG=C.UTF-8
# here), so their figures would depend on the caller's shell. Tools are
# found by absolute path before this applies.
MEASURE_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}

# The targets, as checked below.
def size_budget(arch):
    """The size budget in bytes, from Cargo.toml's one place for it."""
    text = open(os.path.join(REPO, "Cargo.toml")).read()
    section = text.split("[package.metadata.size-budget]", 1)[1]
    for line in section.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == arch:
            return int(value.strip())
    raise SystemExit(f"bench: no {arch} size budget in Cargo.toml")


SIZE_LIMIT = size_budget("x86_64")  # x86_64 binary, bytes (at most)
STARTUP_MAX_RATIO = 0.5  # net start-up cost vs util-linux unshare
SYSCALLS_MAX = 30  # strace -f -c total for `ns-tool pid -- T`
MEMORY_MAX_RATIO = 1 / 3  # PID 1 VmHWM vs tini-static

# Reference tools: name -> (Debian package, candidate paths).
TOOLS = {
    "unshare": ("util-linux", ["unshare"]),
    "busybox": ("busybox-static", ["busybox"]),
    "tini-static": ("tini", ["tini-static"]),
    "tini": ("tini", ["tini"]),
    "dumb-init": ("dumb-init", ["dumb-init"]),
    "catatonit": ("catatonit", ["catatonit", "/usr/libexec/podman/catatonit"]),
}


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class BenchError(Exception):
    """Something broke: the bench cannot give a trustworthy figure."""


# --- the tools and programs under test --------------------------------------


def find_tool(candidates):
    for c in candidates:
        path = c if os.path.isabs(c) else shutil.which(c)
        if path and os.access(path, os.X_OK):
            return path
    return None


def package_version(pkg):
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", pkg],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        return out or None
    except (OSError, subprocess.CalledProcessError):
        return None


def elf_is_static(path):
    """True if the ELF file has no PT_INTERP (no dynamic loader)."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
            raise BenchError(f"{path}: not a 64-bit little-endian ELF file")
        phoff = int.from_bytes(head[0x20:0x28], "little")
        phentsize = int.from_bytes(head[0x36:0x38], "little")
        phnum = int.from_bytes(head[0x38:0x3A], "little")
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            if int.from_bytes(f.read(4), "little") == 3:  # PT_INTERP
                return False
    return True


def discover_tools():
    tools = {}
    for name, (pkg, candidates) in TOOLS.items():
        path = find_tool(candidates)
        tools[name] = {
            "name": name,
            "package": pkg,
            "path": path,
            "version": package_version(pkg) if path else None,
            "static": elf_is_static(path) if path else None,
        }
        if not path:
            log(f"{name} (Debian package {pkg}) is not installed: reported as missing")
    return tools


def upstream(version):
    """'1:1.35.0-4+deb12u1' -> '1.35.0': the Debian epoch and revision off."""
    if not version:
        return None
    version = version.split(":", 1)[-1]
    return version.rsplit("-", 1)[0] if "-" in version else version


def label(tool):
    v = upstream(tool["version"])
    return f"{tool['name']} {v}" if v else tool["name"]


def build_progs(outdir):
    """Build T, the sleeper and the orphan maker for the host architecture."""
    src = os.path.join(HERE, "progs")
    os.makedirs(outdir, exist_ok=True)
    cc = os.environ.get("CC", "cc")
    progs = {
        # No libc, no start files: the three instructions of t.S are all.
        "T": [cc, "-nostdlib", "-static", "-s", "-Wl,--build-id=none",
              os.path.join(src, "t.S")],
        # Ordinary C; static, so they run the same inside any namespace.
        "sleeper": [cc, "-O2", "-static", "-s", os.path.join(src, "sleeper.c")],
        "orphans": [cc, "-O2", "-static", "-s", os.path.join(src, "orphans.c")],
    }
    paths = {}
    for name, cmd in progs.items():
        path = os.path.join(outdir, name)
        run_checked(cmd + ["-o", path], what=f"building {name}")
        paths[name] = path
    run_checked([paths["T"]], what="running T")
    return paths


def run_checked(cmd, what, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise BenchError(
            f"{what} failed (exit {p.returncode}): {shlex.join(cmd)}\n{p.stdout}{p.stderr}"
        )
    return p


# --- statistics and formatting ------------------------------------------------


def summary(samples_s):
    """Stats of run times given in seconds, returned in microseconds."""
    us = [s * 1e6 for s in samples_s]
    return {
        "runs": len(us),
        "mean_us": statistics.fmean(us),
        "stddev_us": statistics.stdev(us) if len(us) > 1 else 0.0,
        "median_us": statistics.median(us),
        "min_us": min(us),
        "max_us": max(us),
    }


def fmt_time(us):
    if abs(us) >= 1e6:
        return f"{us / 1e6:.2f} s"
    if abs(us) >= 1e4:
        return f"{us / 1e3:.1f} ms"
    if abs(us) >= 1e3:
        return f"{us / 1e3:.2f} ms"
    return f"{us:.0f} µs"


def fmt_bytes(n):
    if n >= KIB * KIB:
        return f"{n / KIB / KIB:.2f} MiB ({n:,} B)"
    return f"{n / KIB:.1f} KiB ({n:,} B)"


def fmt_spread(s):
    """σ, median and minimum of a summary(), or the single value's note."""
    if s["runs"] < 2:
        return "1 run"
    return (f"σ {fmt_time(s['stddev_us'])}, median {fmt_time(s['median_us'])}, "
            f"min {fmt_time(s['min_us'])} ({s['runs']} runs)")


def fmt_ratio(r):
    return "n/a" if r is None else f"{r:.2f}×"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


# --- hyperfine, interleaved ---------------------------------------------------


def hyperfine_rounds(cmds, rounds, runs, warmup, tmpdir):
    """Time `cmds` (a list of (name, argv)) with hyperfine: `rounds` short
    invocations of `runs` runs each, the command order rotated every round,
    so slow phases of a busy machine hit every command. Returns
    {name: [seconds...]}."""
    times = {name: [] for name, _ in cmds}
    out = os.path.join(tmpdir, "hyperfine.json")
    for r in range(rounds):
        k = r % len(cmds)
        order = cmds[k:] + cmds[:k]
        argv = [shutil.which("hyperfine"), "--shell=none", "--style", "none",
                "--runs", str(runs), "--warmup", str(warmup), "--export-json", out]
        for name, cmd in order:
            argv += ["--command-name", name, shlex.join(cmd)]
        run_checked(argv, what="hyperfine", env=MEASURE_ENV)
        with open(out) as f:
            results = json.load(f)["results"]
        for (name, _), res in zip(order, results):
            if set(res.get("exit_codes", [0])) != {0}:
                raise BenchError(f"{name}: exit codes {res['exit_codes']}")
            times[name].extend(res["times"])
    return times


def reproduce_line(cmds, runs, warmup):
    argv = ["hyperfine", "-N", "--runs", str(runs), "--warmup", str(warmup)]
    return shlex.join(argv + [shlex.join(c) for _, c in cmds])


# --- the measurements ---------------------------------------------------------


# Each subcommand and the commits around its landing: (name, before,
# after). What it costs is after's binary minus before's, both built with
# today's toolchain. A new subcommand adds a row when it lands. (init's
# "after" is where its size settled, once its series had shrunk it.)
SUBCOMMANDS = [
    ("init", "b424c85^", "187aaf6"),
    ("check-caps", "222e353^", "222e353"),
    ("proc", "e7e8137^", "fadf466"),
    ("clone", "c2b2614", "aeaf1d8"),
    ("uts", "adf84a6", "885cf1b"),
    ("user", "885cf1b", "8633ade"),
    ("ipc", "885cf1b", "b9f018a"),
    ("mount", "885cf1b", "2778aff"),
    ("cgroup", "885cf1b", "5a0668f"),
    ("time", "5a0668f", "939ec05"),
    ("net", "3310cf4", "6ede5a9"),
]
# At most this much a subcommand may add (the project's rule).
SUBCOMMAND_ALLOWANCE = 1536


def commit_size(rev, cache, tmpdir):
    """The sstripped x86_64 release binary's size at commit `rev`."""
    sha = subprocess.run(["git", "-C", REPO, "rev-parse", "--verify", "-q", rev + "^{commit}"],
                         capture_output=True, text=True).stdout.strip()
    if not sha:
        return None, None
    if sha in cache:
        return sha, cache[sha]
    tree = os.path.join(tmpdir, "tree-" + sha[:12])
    run_checked(["git", "-C", REPO, "worktree", "add", "--detach", "-f", tree, sha],
                f"git worktree for {rev}")
    try:
        log(f"building {rev} ({sha[:12]}) for its size")
        run_checked(["cargo", "build", "--quiet", "--release", "--locked", "--bin", "ns-tool",
                     "--target", "x86_64-unknown-linux-musl",
                     "--target-dir", os.path.join(REPO, "target", "bench", "commits")],
                    f"cargo build at {rev}", cwd=tree)
        out = os.path.join(tmpdir, "ns-tool-" + sha[:12])
        shutil.copy(os.path.join(REPO, "target", "bench", "commits",
                                 "x86_64-unknown-linux-musl", "release", "ns-tool"), out)
        # Today's sstrip for every commit: one way of measuring.
        run_checked([sys.executable, os.path.join(REPO, "tools", "sstrip.py"), out], "sstrip")
        cache[sha] = os.path.getsize(out)
    finally:
        subprocess.run(["git", "-C", REPO, "worktree", "remove", "--force", tree],
                       capture_output=True)
    return sha, cache[sha]


def measure_subcommands(args, tmpdir):
    """What each subcommand added to the x86_64 binary when it landed."""
    rows = []
    if args.smoke or platform.machine() != "x86_64":
        why = "smoke run" if args.smoke else "needs an x86_64 host"
        return [{"name": n, "before": b, "after": a, "skipped": why} for n, b, a in SUBCOMMANDS]
    path = os.path.join(args.out, "commit-sizes.json")
    try:
        with open(path) as f:
            cache = json.load(f)
    except (OSError, ValueError):
        cache = {}
    for name, before, after in SUBCOMMANDS:
        row = {"name": name, "before": before, "after": after}
        (_, b), (_, a) = commit_size(before, cache, tmpdir), commit_size(after, cache, tmpdir)
        if b is None or a is None:
            row["skipped"] = "commit not in this clone's history"
        else:
            row.update(before_bytes=b, after_bytes=a, added=a - b)
        rows.append(row)
        with open(path, "w") as f:
            json.dump(cache, f, indent=2)
    return rows


def measure_sizes(ns, tools):
    rows = [
        {"program": "ns-tool (x86_64)", "path": ns["x86_64"], "ours": True},
        {"program": "ns-tool (aarch64)", "path": ns["aarch64"], "ours": True},
    ]
    for name in ("tini-static", "catatonit", "busybox"):
        t = tools[name]
        rows.append({"program": label(t), "path": t["path"], "ours": False})
    for row in rows:
        path = row["path"]
        row["bytes"] = os.path.getsize(path) if path else None
        row["static"] = elf_is_static(path) if path else None
        if path and not row["static"]:
            row["note"] = "not a static build"
    return rows


def startup_commands(ns_bin, tools, T):
    u = tools["unshare"]["path"]
    pidfork = [u, "--pid", "--fork"] if u else None
    cmds = [("T", [T]), ("ns-tool pid -- T", [ns_bin, "pid", "--", T])]
    wanted = [
        ("unshare --pid --fork T", "unshare", lambda p: pidfork + [T]),
        ("busybox unshare --pid --fork T", "busybox",
         lambda p: [p, "unshare", "--pid", "--fork", T]),
        ("unshare --pid --fork tini-static -s -- T", "tini-static",
         lambda p: pidfork + [p, "-s", "--", T]),
        ("unshare --pid --fork dumb-init T", "dumb-init", lambda p: pidfork + [p, T]),
        ("unshare --pid --fork catatonit -- T", "catatonit",
         lambda p: pidfork + [p, "--", T]),
    ]
    missing = []
    for name, tool, make in wanted:
        path = tools[tool]["path"]
        if path and (tool == "busybox" or pidfork):
            cmds.append((name, make(path)))
        else:
            missing.append(name)
    # The inits, run directly: no namespace (where `init` is meant to run,
    # one exists already). tini warns unless it is PID 1 or -s.
    cmds.append((INIT_ROW, [ns_bin, "init", "--", T]))
    inits = [
        (INIT_REF, "tini-static", lambda p: [p, "-s", "--", T]),
        ("dumb-init T", "dumb-init", lambda p: [p, T]),
        ("catatonit -- T", "catatonit", lambda p: [p, "--", T]),
    ]
    for name, tool, make in inits:
        path = tools[tool]["path"]
        if path:
            cmds.append((name, make(path)))
        else:
            missing.append(name)
    return cmds, missing


# The start-up rows of the inits, and the one they are compared with.
INIT_ROW = "ns-tool init -- T"
INIT_REF = "tini-static -s -- T"
INIT_ROWS = (INIT_ROW, INIT_REF, "dumb-init T", "catatonit -- T")


def measure_startup(cmds, missing, args, tmpdir):
    log(f"start-up: {len(cmds)} commands × {args.rounds} rounds × {args.runs} runs")
    times = hyperfine_rounds(cmds, args.rounds, args.runs, args.warmup, tmpdir)
    stats = {name: summary(times[name]) for name, _ in cmds}
    t_mean = stats["T"]["mean_us"]
    t_median = stats["T"]["median_us"]
    for name, s in stats.items():
        s["net_mean_us"] = s["mean_us"] - t_mean
        s["net_median_us"] = s["median_us"] - t_median
    ref = stats.get("unshare --pid --fork T")
    init_ref = stats.get(INIT_REF)
    rows = []
    for name, cmd in cmds:
        s = stats[name]
        row = {
            "command": name, "argv": cmd, **s,
            "ratio_to_unshare": None if name in ("T",) + INIT_ROWS or not ref
            else ratio(s["net_mean_us"], ref["net_mean_us"]),
            "median_ratio_to_unshare": None if name in ("T",) + INIT_ROWS or not ref
            else ratio(s["net_median_us"], ref["net_median_us"]),
        }
        if name in INIT_ROWS:
            # An init is compared with tini-static, not with unshare.
            row["init"] = True
            row["ratio_to_tini_static"] = init_ref and ratio(s["net_mean_us"],
                                                             init_ref["net_mean_us"])
        rows.append(row)
    for name in missing:
        rows.append({"command": name, "missing": True})
    return {
        "rounds": args.rounds, "runs_per_round": args.runs, "warmup": args.warmup,
        "order": "rotated every round",
        "reproduce": reproduce_line(cmds, args.runs * args.rounds, args.warmup),
        "rows": rows,
    }


def strace_count(cmd, tmpdir):
    """Total and per-call counts from `strace -f -c` of one run of cmd."""
    out = os.path.join(tmpdir, "strace.txt")
    with open(os.devnull, "wb") as null:
        p = subprocess.run([shutil.which("strace"), "-f", "-c", "-o", out, "--"] + cmd,
                           stdout=null, stderr=subprocess.PIPE, text=True, env=MEASURE_ENV)
    if p.returncode != 0:
        raise BenchError(f"strace -f -c {shlex.join(cmd)}: exit {p.returncode}\n{p.stderr}")
    calls, total = {}, None
    with open(out) as f:
        for line in f:
            fields = line.split()
            # "% time  seconds  usecs/call  calls  [errors]  syscall"
            if len(fields) < 5 or not fields[3].isdigit():
                continue
            if fields[-1] == "total":
                total = int(fields[3])
            else:
                calls[fields[-1]] = int(fields[3])
    if total is None:
        raise BenchError(f"no total in strace -c output of {shlex.join(cmd)}")
    return total, calls


def measure_syscalls(cmds, missing, ns_bin, args, tmpdir):
    log(f"syscalls: strace -f -c, {args.strace_runs} run(s) per command")
    T = next(c for n, c in cmds if n == "T")
    todo = [(n, c) for n, c in cmds if n != "T"] + [
        ("ns-tool clone -- T", [ns_bin, "clone", "--"] + T),
        ("ns-tool pid (demonstration)", [ns_bin, "pid"]),
        ("ns-tool clone (demonstration)", [ns_bin, "clone"]),
    ]
    rows = []
    for name, cmd in todo:
        runs = [strace_count(cmd, tmpdir) for _ in range(args.strace_runs)]
        totals = sorted(t for t, _ in runs)
        median = totals[len(totals) // 2]
        per_call = next(c for t, c in runs if t == median)
        rows.append({"command": name, "calls": median, "min": totals[0], "max": totals[-1],
                     "per_syscall": dict(sorted(per_call.items()))})
    for name in missing:
        rows.append({"command": name, "missing": True})
    return rows


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def children(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            kids.append(int(entry))
    return kids


def kib(value):
    """'1234 kB' from /proc/PID/status -> 1234."""
    return int(value.split()[0])


def pid1_memory(cmd, settle):
    """Run cmd (whose COMMAND is the sleeper); once the sleeper is up, read
    VmHWM of the namespace's PID 1, which is cmd's own child."""
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=MEASURE_ENV)
    pid1 = None
    try:
        ready, _, _ = select.select([p.stdout], [], [], 10)
        if not ready or p.stdout.read(1) != b"u":
            raise BenchError(f"{shlex.join(cmd)}: the sleeper did not start")
        time.sleep(settle)  # let PID 1 settle into its wait loop
        kids = children(p.pid)
        if len(kids) != 1:
            raise BenchError(f"{shlex.join(cmd)}: expected one child, found {kids}")
        pid1 = kids[0]
        status = proc_status(pid1)
        if status["NSpid"].split()[-1] != "1":
            raise BenchError(f"{shlex.join(cmd)}: child {pid1} is not PID 1 "
                             f"(NSpid {status['NSpid']})")
        found = {"name": status["Name"], "vmhwm_kib": kib(status["VmHWM"]),
                 "vmrss_kib": kib(status["VmRSS"])}
        # communicate() closes stdin: the sleeper sees end-of-file and exits.
        _, err = p.communicate(timeout=10)
        if p.returncode != 0:
            raise BenchError(f"{shlex.join(cmd)}: exit {p.returncode}\n{err.decode()}")
        return found
    finally:
        if p.poll() is None:
            for victim in (pid1, p.pid):
                if victim:
                    try:
                        os.kill(victim, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            p.wait()


def measure_memory(ns_bin, tools, sleeper, args):
    log(f"memory: VmHWM of PID 1, {args.mem_runs} run(s) per init")
    u = tools["unshare"]["path"]
    # (name, the PID 1 program, argv)
    inits = [("ns-tool pid --init", ns_bin, [ns_bin, "pid", "--init", "--", sleeper])]
    if u:
        # `init` creates no namespace: unshare makes it PID 1, as the
        # others are made.
        inits.append(("ns-tool init", ns_bin,
                      [u, "--pid", "--fork", ns_bin, "init", "--", sleeper]))
    refs = [
        ("tini-static", lambda p: [p, "-s", "--", sleeper]),
        ("tini", lambda p: [p, "-s", "--", sleeper]),
        ("dumb-init", lambda p: [p, sleeper]),
        ("catatonit", lambda p: [p, "--", sleeper]),
    ]
    rows = [] if u else [{"init": "ns-tool init", "tool": "unshare", "missing": True}]
    for name, make in refs:
        t = tools[name]
        if t["path"] and u:
            inits.append((label(t), t["path"], [u, "--pid", "--fork"] + make(t["path"])))
        else:
            rows.append({"init": label(t), "tool": name, "missing": True})
    measured = []
    for name, init, cmd in inits:
        runs = [pid1_memory(cmd, args.settle) for _ in range(args.mem_runs)]
        hwm = sorted(r["vmhwm_kib"] for r in runs)
        measured.append({
            "init": name, "argv": cmd, "pid1_name": runs[0]["name"],
            "vmhwm_kib": hwm[len(hwm) // 2], "vmhwm_min_kib": hwm[0],
            "vmhwm_max_kib": hwm[-1], "vmrss_kib": runs[0]["vmrss_kib"],
            "static": elf_is_static(init),
        })
    ref = next((r for r in measured if r["init"].startswith("tini-static")), None)
    for r in measured:
        r["ratio_to_tini_static"] = ratio(r["vmhwm_kib"], ref and ref["vmhwm_kib"])
    return measured + rows


def pid_ns_levels_left():
    """How many PID namespaces can still nest below this process (32 max)."""
    nspid = proc_status("self").get("NSpid", "0").split()
    return 32 - (len(nspid) - 1)


def measure_growth(ns_bin, tools, progs, args, tmpdir):
    """Time the same job at growing sizes: (tool, n, name, argv) commands."""
    u = tools["unshare"]["path"]
    ts = tools["tini-static"]["path"]
    T = progs["T"]
    left = pid_ns_levels_left()
    levels = [n for n in args.nest if n <= left]
    if levels != args.nest:
        log(f"growth: only {left} PID namespace levels left here; nesting {levels}")
    nest = [("ns-tool", n, f"ns-tool pid --nest {n} -- T",
             [ns_bin, "pid", "--nest", str(n), "--", T]) for n in levels]
    if u:
        nest += [("util-linux unshare", n, f"unshare --pid --fork ×{n} T",
                  [u, "--pid", "--fork"] * n + [T]) for n in levels]
    orphans = [("ns-tool", n, f"ns-tool pid --init -- orphans {n}",
                [ns_bin, "pid", "--init", "--", progs["orphans"], str(n)])
               for n in args.orphans]
    if u and ts:
        orphans += [("tini-static", n, f"unshare --pid --fork tini-static -s -- orphans {n}",
                     [u, "--pid", "--fork", ts, "-s", "--", progs["orphans"], str(n)])
                    for n in args.orphans]

    def timed(cmds, rounds, runs, warmup):
        times = hyperfine_rounds([(name, argv) for _, _, name, argv in cmds],
                                 rounds, runs, warmup, tmpdir)
        rows = [{"tool": tool, "n": n, "command": name, "argv": argv, **summary(times[name])}
                for tool, n, name, argv in cmds]
        per_unit = {tool: marginal(rows, tool) for tool in dict.fromkeys(r["tool"] for r in rows)}
        return rows, per_unit

    log(f"growth: --nest {levels}: {args.growth_rounds} rounds × {args.growth_runs} runs")
    nest_rows, per_level = timed(nest, args.growth_rounds, args.growth_runs, args.warmup)
    log(f"growth: orphans {args.orphans}: {args.orphan_rounds} rounds × {args.orphan_runs} runs")
    orphan_rows, per_orphan = timed(orphans, args.orphan_rounds, args.orphan_runs, 0)
    return {
        "nest": nest_rows, "nest_us_per_level": per_level,
        "orphans": orphan_rows, "orphans_us_per_orphan": per_orphan,
        "nest_levels_available": left,
    }


def marginal(rows, tool):
    """Mean cost per unit of work (µs per level, per orphan) of one tool,
    between the smallest and the largest N measured."""
    mine = sorted((r for r in rows if r["tool"] == tool), key=lambda r: r["n"])
    if len(mine) < 2 or mine[-1]["n"] == mine[0]["n"]:
        return None
    return (mine[-1]["mean_us"] - mine[0]["mean_us"]) / (mine[-1]["n"] - mine[0]["n"])


# --- targets and the report ---------------------------------------------------


def verdict(ok):
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def check_targets(report):
    size = report["size"][0]["bytes"]
    start = next(r for r in report["startup"]["rows"] if r["command"] == "ns-tool pid -- T")
    sc = next(r for r in report["syscalls"] if r["command"] == "ns-tool pid -- T")
    mem = report["memory"][0]
    targets = [
        {"target": f"x86_64 binary within its budget ({SIZE_LIMIT:,} B, Cargo.toml)",
         "value": size, "limit": SIZE_LIMIT,
         "ratio": ratio(size, SIZE_LIMIT), "ok": size <= SIZE_LIMIT,
         "shown": f"{size:,} B = {ratio(size, SIZE_LIMIT):.2f}× of the budget"},
        {"target": "start-up (minus T) ≤ 0.5× util-linux unshare",
         "ratio": start["ratio_to_unshare"],
         "ok": None if start["ratio_to_unshare"] is None
         else start["ratio_to_unshare"] <= STARTUP_MAX_RATIO,
         "shown": f"{fmt_ratio(start['ratio_to_unshare'])} (medians: "
                  f"{fmt_ratio(start['median_ratio_to_unshare'])})"},
        {"target": "≤ 30 syscalls for `ns-tool pid -- T`", "value": sc["calls"],
         "limit": SYSCALLS_MAX, "ok": sc["calls"] <= SYSCALLS_MAX,
         "shown": f"{sc['calls']} calls"},
        {"target": "PID-1 VmHWM ≤ ⅓ of tini-static's", "ratio": mem["ratio_to_tini_static"],
         "ok": None if mem["ratio_to_tini_static"] is None
         else mem["ratio_to_tini_static"] <= MEMORY_MAX_RATIO,
         "shown": fmt_ratio(mem["ratio_to_tini_static"])},
    ]
    for t in targets:
        t["verdict"] = verdict(t["ok"])
    return targets


def markdown(report):
    m = report["meta"]
    s_rounds = report["startup"]["rounds"]
    lines = [
        f"ns-tool {m['commit']}, {m['date']}; {m['kernel']}, {m['cpu']} × {m['cores']} cores"
        f" (load {m['load_before']} before, {m['load_after']} after)"
        + ("; **smoke run: tiny repeat counts, figures not meaningful**" if m["smoke"] else ""),
        "",
        "Reference tools (Debian): " + ", ".join(
            f"{t['package']} {upstream(t['version'])}" if t["path"] else f"{t['package']}: not installed"
            for t in dict((t["package"], t) for t in report["tools"].values()).values())
        + f"; {m['hyperfine']}, {m['strace']}. Times by hyperfine, {s_rounds} rounds, the command"
        " order rotated each round, so the machine's noise falls on every command alike;"
        " start-up is the mean minus T's own mean. Measured commands run with LC_ALL=C.",
        "",
        "| Measure | Program | Result | Spread | Ratio |",
        "|---|---|---|---|---|",
    ]

    def row(*cells):
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")

    base = report["size"][0]["bytes"]
    for r in report["size"]:
        if r["bytes"] is None:
            row("Binary size", r["program"], "not installed", "", "")
            continue
        note = f" ({r['note']})" if r.get("note") else ""
        row("Binary size", r["program"] + note, fmt_bytes(r["bytes"]), "",
            f"{fmt_ratio(ratio(r['bytes'], base))} ns-tool x86_64")

    s = report["startup"]
    for r in s["rows"]:
        what = "Start-up"
        if r.get("missing"):
            row(what, f"`{r['command']}`", "not installed", "", "")
        elif r["command"] == "T":
            row(what, "`T` alone (subtracted below)", fmt_time(r["mean_us"]), fmt_spread(r), "")
        elif r.get("init"):
            row(what, f"`{r['command']}` (direct)",
                f"{fmt_time(r['net_mean_us'])} (raw {fmt_time(r['mean_us'])})", fmt_spread(r),
                f"{fmt_ratio(r['ratio_to_tini_static'])} tini-static")
        else:
            row(what, f"`{r['command']}`",
                f"{fmt_time(r['net_mean_us'])} (raw {fmt_time(r['mean_us'])})", fmt_spread(r),
                f"{fmt_ratio(r['ratio_to_unshare'])} unshare")

    ref = next((r for r in report["syscalls"] if r["command"] == "unshare --pid --fork T"), None)
    init_ref = next((r for r in report["syscalls"] if r["command"] == INIT_REF), None)
    for r in report["syscalls"]:
        if r.get("missing"):
            row("Syscalls (strace -f -c)", f"`{r['command']}`", "not installed", "", "")
            continue
        spread = "" if r["min"] == r["max"] else f"{r['min']}–{r['max']}"
        if r["command"] in INIT_ROWS:
            rat = "" if not init_ref \
                else f"{fmt_ratio(ratio(r['calls'], init_ref['calls']))} tini-static"
        else:
            rat = "" if r["command"].endswith("(demonstration)") or not ref \
                else f"{fmt_ratio(ratio(r['calls'], ref['calls']))} unshare"
        row("Syscalls (strace -f -c)", f"`{r['command']}`", r["calls"], spread, rat)

    for r in report["memory"]:
        if r.get("missing"):
            row("PID-1 VmHWM", r["init"], "not installed", "", "")
            continue
        spread = "" if r["vmhwm_min_kib"] == r["vmhwm_max_kib"] \
            else f"{r['vmhwm_min_kib']}–{r['vmhwm_max_kib']} KiB"
        linked = "" if r["static"] else " (dynamic)"
        row("PID-1 VmHWM", f"{r['init']}{linked}", f"{r['vmhwm_kib']:,} KiB", spread,
            f"{fmt_ratio(r['ratio_to_tini_static'])} tini-static")

    g = report["growth"]
    for key, what, unit in (("nest", "Growth: nested namespaces", "level"),
                            ("orphans", "Growth: orphans forked and reaped", "orphan")):
        rows = g[key]
        for r in rows:
            first = min((x for x in rows if x["tool"] == r["tool"]), key=lambda x: x["n"])
            row(what, f"`{r['command']}`", fmt_time(r["mean_us"]), fmt_spread(r),
                f"{fmt_ratio(ratio(r['mean_us'], first['mean_us']))} N={first['n']}")
        for tool, cost in g[f"{key}_us_per_{unit}"].items():
            if cost is not None:
                row(what, f"{tool}: mean cost per extra {unit}", fmt_time(cost), "", "")

    for r in report.get("subcommands", []):
        what = f"`{r['name']}` ({r['before']} → {r['after']})"
        if "skipped" in r:
            row("Size added by subcommand", what, f"not measured ({r['skipped']})", "", "")
            continue
        over = r["added"] - SUBCOMMAND_ALLOWANCE
        row("Size added by subcommand", what, f"{r['added']:+,} B",
            f"{r['before_bytes']:,} → {r['after_bytes']:,} B",
            f"{fmt_ratio(ratio(r['added'], SUBCOMMAND_ALLOWANCE))} the 1.5 KiB allowance"
            + (f" (over by {over:,} B)" if over > 0 else ""))

    for t in report["targets"]:
        row("**Target**", t["target"], t["shown"], "", f"**{t['verdict']}**")

    lines += ["", "Reproduce: `cargo make bench` as root (writes target/bench/report.md"
              " and report.json)."]
    return "\n".join(lines) + "\n"


def machine_meta(args):
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("model name", "Model")):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"

    def version(cmd):
        out = subprocess.run(cmd, capture_output=True, text=True).stdout
        found = re.search(r"\d+(\.\d+)+", out)
        return f"{cmd[0]} {found.group(0)}" if found else cmd[0]

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "kernel": f"Linux {platform.release()} {platform.machine()}",
        "cpu": cpu, "cores": os.cpu_count(), "commit": commit,
        "hyperfine": version(["hyperfine", "--version"]), "strace": version(["strace", "-V"]),
        "smoke": args.smoke, "load_before": "%.2f" % os.getloadavg()[0],
    }


# --- driver --------------------------------------------------------------------


def int_list(text):
    return [int(x) for x in text.split(",") if x]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ns-tool-x86_64", default=os.environ.get("NS_TOOL_BIN_X86_64"))
    p.add_argument("--ns-tool-aarch64", default=os.environ.get("NS_TOOL_BIN_AARCH64"))
    p.add_argument("--out", default=os.path.join(REPO, "target", "bench"))
    # Many short rounds: a burst of load elsewhere on the machine then
    # lands on a few runs of every command rather than on one command.
    p.add_argument("--rounds", type=int, default=100, help="start-up: hyperfine rounds")
    p.add_argument("--runs", type=int, default=6, help="start-up: runs per command per round")
    p.add_argument("--warmup", type=int, default=1, help="warm-up runs per command per round")
    p.add_argument("--strace-runs", type=int, default=3)
    p.add_argument("--mem-runs", type=int, default=3)
    p.add_argument("--settle", type=float, default=0.1,
                   help="seconds to let PID 1 settle before reading VmHWM")
    p.add_argument("--nest", type=int_list, default=[1, 8, 32])
    p.add_argument("--growth-rounds", type=int, default=30)
    p.add_argument("--growth-runs", type=int, default=5)
    p.add_argument("--orphans", type=int_list, default=[1000, 10000])
    p.add_argument("--orphan-rounds", type=int, default=5)
    p.add_argument("--orphan-runs", type=int, default=1)
    p.add_argument("--smoke", action="store_true",
                   help="tiny repeat counts and 10/100 orphans: checks that the bench works")
    p.add_argument("--check", metavar="DIR", help="only validate the report in DIR")
    args = p.parse_args()
    if args.smoke:
        args.rounds, args.runs, args.warmup = 2, 2, 0
        args.strace_runs = args.mem_runs = args.growth_rounds = args.orphan_rounds = 1
        args.growth_runs = 2
        args.orphan_runs, args.settle = 1, 0.05
        args.orphans = [10, 100]
    return args


def check_report(outdir):
    """Fail unless outdir holds a complete report (for bench-smoke)."""
    try:
        with open(os.path.join(outdir, "report.json")) as f:
            report = json.load(f)
        with open(os.path.join(outdir, "report.md")) as f:
            md = f.read()
    except (OSError, ValueError) as e:
        raise BenchError(f"no readable report in {outdir}: {e}") from e
    for key in ("meta", "size", "startup", "syscalls", "memory", "growth", "targets"):
        if not report.get(key):
            raise BenchError(f"report.json has no {key}")
    if len(report["targets"]) != 4 or not all(t["verdict"] in ("PASS", "MISS", "n/a")
                                              for t in report["targets"]):
        raise BenchError("report.json: the four target verdicts are not all there")
    if [r["name"] for r in report.get("subcommands", [])] != [n for n, _, _ in SUBCOMMANDS]:
        raise BenchError("report.json: the size-by-subcommand rows are missing")
    if "| Measure | Program |" not in md or md.count("**Target**") != 4:
        raise BenchError("report.md: the table is incomplete")
    # The init rows: start-up, syscalls and PID-1 memory of `ns-tool init`.
    if not any(r["command"] == INIT_ROW and "mean_us" in r for r in report["startup"]["rows"]) \
            or not any(r["command"] == INIT_ROW for r in report["syscalls"]) \
            or not any(r["init"] == "ns-tool init" for r in report["memory"]):
        raise BenchError("report.json: the `ns-tool init` rows are missing")
    log(f"report in {outdir} is complete")


def main():
    args = parse_args()
    if args.check:
        check_report(args.check)
        return
    if os.geteuid() != 0:
        raise BenchError("run as root: unshare(CLONE_NEWPID) needs CAP_SYS_ADMIN")
    for tool in ("hyperfine", "strace"):
        if not shutil.which(tool):
            raise BenchError(f"{tool} is not installed (`cargo make bench` installs it)")
    ns = {"x86_64": args.ns_tool_x86_64, "aarch64": args.ns_tool_aarch64}
    for arch, path in ns.items():
        if not path or not os.path.isfile(path):
            raise BenchError(f"no ns-tool binary for {arch} ({path}): run cargo make build-static")
    host = platform.machine()
    if host not in ns:
        raise BenchError(f"no ns-tool build for this machine's architecture ({host})")
    ns_bin = os.path.abspath(ns[host])

    os.makedirs(args.out, exist_ok=True)
    meta = machine_meta(args)
    tools = discover_tools()
    progs = build_progs(os.path.join(args.out, "progs"))
    with tempfile.TemporaryDirectory(prefix="ns-tool-bench.") as tmp:
        cmds, missing = startup_commands(ns_bin, tools, progs["T"])
        report = {"schema": 1, "meta": meta, "tools": tools, "progs": progs}
        report["size"] = measure_sizes(ns, tools)
        report["startup"] = measure_startup(cmds, missing, args, tmp)
        report["syscalls"] = measure_syscalls(cmds, missing, ns_bin, args, tmp)
        report["memory"] = measure_memory(ns_bin, tools, progs["sleeper"], args)
        growth = measure_growth(ns_bin, tools, progs, args, tmp)
        report["subcommands"] = measure_subcommands(args, tmp)
    report["growth"] = growth
    meta["load_after"] = "%.2f" % os.getloadavg()[0]
    report["targets"] = check_targets(report)

    md = markdown(report)
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write(md)
    with open(os.path.join(args.out, "report.json"), "w") as f:
        json.dump(report, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(md, end="")
    log(f"wrote {args.out}/report.md and report.json")


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        print(f"bench: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
