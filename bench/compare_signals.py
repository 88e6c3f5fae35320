#!/usr/bin/env python3
"""Signals and terminals: ns-tool beside unshare and tini, and ns-tool init
beside tini, dumb-init and catatonit, from a real run (`cargo make
compare-signals`; bench/tasks.toml).

Runs the same twenty cases under nine launchers, each put in front of the
same COMMAND, and eight more about what an init does (21 to 28: LISTEN_PID,
the init's cwd and descriptors, -e, -r, -P, orphans, -g) under the last five:

  A  unshare --pid --fork
  B  unshare --pid --fork tini -s --
  C  ns-tool pid --
  D  ns-tool pid --init --
  E  ns-tool init --                          (run directly: a subreaper)
  F  tini -s --                               (the same)
  G  dumb-init                                (no subreaper)
  H  catatonit --                             (a subreaper)
  I  unshare --pid --fork ns-tool init --     (PID 1, as in a container)

and writes two Markdown tables (signals.md, also printed: A to D, E to I)
and the raw observations (signals.json) to --out. Every cell is measured in this run;
nothing is written down in advance, so the table tells the truth about
whichever ns-tool binary it is given.

Each case is driven as a person would drive it: an interactive
`bash --norc --noprofile -i` in a pseudo-terminal of its own, with a known
prompt; the script types commands and keys (Ctrl-C, Ctrl-Z, fg, q),
resizes the terminal (TIOCSWINSZ), sends kill(2) where the case says so,
reads what the terminal shows, the processes' states and CPU ticks from
/proc/PID/stat, and counts the signals a trapping COMMAND writes to a file.
Every wait is bounded: a step that does not finish reads "hangs (>N s)".
A case whose outcome hangs on a race (two copies of one signal that may
merge, two processes reading one terminal) runs three times, each in a
fresh session, and its cell lists the runs when they disagree.
After each case the whole session is killed; at the end /proc is searched
for anything the run left behind.

Run it:

  cargo make compare-signals          # builds ns-tool, writes target/compare/
  python3 bench/compare_signals.py --ns-tool PATH [--out DIR]
          [--cases 1,5,8] [--columns C,E] [--trials 1]

PATH may also come from $NS_TOOL_BIN. Needs root (PID namespaces), bash,
dash, less, top (procps), python3, perl, setpriv, unshare, tini, dumb-init
and catatonit; a case whose tools are missing reads "not installed", and so
does a column whose launcher is missing. About six minutes.
Python 3 standard library only. The exit status is nonzero only when the
comparison itself broke (a case raised an error, processes were left
behind), never because of what a launcher did.
"""

import argparse
import ctypes
import datetime
import fcntl
import hashlib
import json
import os
import platform
import re
import select
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# The sessions' environment, whoever starts the script: the same PATH (so
# the same Debian builds of every tool), locale and terminal type.
SESSION_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
PROMPT = "[cmp]$ "
INNER_PROMPT = "[in]$ "
ROWS, COLS = 50, 200  # wide: typed command lines do not wrap

SETTLE = 0.5  # after an action, so that late duplicate signals arrive
CASE_CAP = 30.0  # seconds: a case still running then is stopped (an error)
HZ = os.sysconf("SC_CLK_TCK")
# Percent of a core over which a reader "spins". A blocked reader uses 0;
# a spinning one gets a core, or less on a busy machine: so not 50.
SPINS = 25

# Escape sequences, to read the terminal's output as text: CSI, OSC,
# character-set choices and the single-character ones.
ANSI = re.compile(r"\x1b(?:\[[0-9;?<=>]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)"
                  r"|[()*+][0-9A-Za-z]|[=>NOM78cDEH])")


def log(msg):
    print(f"compare-signals: {msg}", file=sys.stderr, flush=True)


class CompareError(Exception):
    """The comparison itself broke: no trustworthy figure."""


class CaseTimeout(Exception):
    """The per-case cap went off."""


class Stop(Exception):
    """A step cannot go on: `row` reads `value`, later rows read "—"."""

    def __init__(self, row, value):
        super().__init__(f"{row}: {value}")
        self.row, self.value = row, value


def hangs(secs):
    return f"hangs (>{secs:g} s)"


# --- processes ------------------------------------------------------------------


class Proc:
    __slots__ = ("pid", "comm", "state", "ppid", "pgrp", "sid", "tpgid", "ticks")

    def __init__(self, pid, comm, state, ppid, pgrp, sid, tpgid, ticks):
        self.pid, self.comm, self.state = pid, comm, state
        self.ppid, self.pgrp, self.sid, self.tpgid, self.ticks = ppid, pgrp, sid, tpgid, ticks


def read_stat(pid):
    """/proc/PID/stat as a Proc, or None if the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    left, right = data.index(b"("), data.rindex(b")")
    comm = data[left + 1:right].decode(errors="replace")
    f = data[right + 2:].split()
    # Fields 3 (state), 4 ppid, 5 pgrp, 6 session, 8 the terminal's
    # foreground process group, 14 utime, 15 stime.
    return Proc(pid, comm, f[0].decode(), int(f[1]), int(f[2]), int(f[3]), int(f[5]),
                int(f[11]) + int(f[12]))


def all_procs():
    procs = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            p = read_stat(int(entry))
            if p:
                procs[p.pid] = p
    return procs


def descendants(root, procs):
    """root's descendants, nearest first."""
    kids = {}
    for p in procs.values():
        kids.setdefault(p.ppid, []).append(p.pid)
    out, todo = [], [root]
    while todo:
        nxt = []
        for pid in todo:
            for k in sorted(kids.get(pid, ())):
                out.append(k)
                nxt.append(k)
        todo = nxt
    return out


def state(pid):
    """The state letter (R, S, T, Z, ...), or "gone"."""
    p = read_stat(pid) if pid else None
    return p.state if p else "gone"


def alive(pid):
    return state(pid) not in ("gone", "Z", "X")


def ticks(pid):
    p = read_stat(pid)
    return p.ticks if p else None


def environ_has(pid, needle):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return needle in f.read()
    except OSError:
        return False


def set_subreaper():
    """Orphans of the cases come to this process, which reaps them: no
    zombies left for a PID 1 that may not reap. (Where they go does not
    change what the cases see: both are outside the session.)"""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def reap_orphans():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# --- the terminal session -----------------------------------------------------------


def set_winsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class Session:
    """An interactive bash in a pseudo-terminal of its own."""

    def __init__(self, ctx):
        self.ctx = ctx
        master, slave = os.openpty()
        set_winsize(master, ROWS, COLS)
        pid = os.fork()
        if pid == 0:  # the child: a new session, the pty its terminal
            try:
                os.close(master)
                os.setsid()
                fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
                for fd in (0, 1, 2):
                    os.dup2(slave, fd)
                # Nothing else: whatever started this script may have left
                # descriptors open, and the inits' cases count them.
                os.closerange(3, 65536)
                # What a login would give: Python itself ignores SIGPIPE
                # and SIGXFSZ, and those would be inherited.
                for sig in range(1, signal.NSIG):
                    if sig not in (signal.SIGKILL, signal.SIGSTOP):
                        try:
                            signal.signal(sig, signal.SIG_DFL)
                        except (OSError, ValueError):
                            pass
                signal.pthread_sigmask(signal.SIG_SETMASK, [])
                os.execve(ctx.bash, [ctx.bash, "--norc", "--noprofile", "-i"], ctx.env)
            finally:
                os._exit(127)
        os.close(slave)
        self.pid, self.fd = pid, master
        self.buf = ""
        self.closed = False
        ctx.sessions.append(self)
        if not self.expect(re.escape(PROMPT), 5, 0):
            self.kill()
            raise CompareError(f"bash showed no prompt in 5 s: {self.buf[-300:]!r}")

    # reading -------------------------------------------------------------------

    def read(self, timeout):
        """Read whatever the terminal shows within timeout (one chunk)."""
        if self.closed:
            time.sleep(timeout)
            return
        r, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if r:
            try:
                data = os.read(self.fd, 65536)
            except OSError:  # EIO: no process has the terminal open any more
                data = b""
            if not data:
                self.closed = True
            self.buf += data.decode("utf-8", errors="replace")

    def wait_until(self, cond, timeout):
        """Read the terminal until cond() holds or timeout; cond's value."""
        end = time.monotonic() + timeout
        while True:
            got = cond()
            if got:
                return got
            left = end - time.monotonic()
            if left <= 0:
                return cond()
            self.read(min(left, 0.05))

    def settle(self, secs):
        self.wait_until(lambda: False, secs)

    def expect(self, pattern, timeout, start):
        """The first match of the regex in what was shown from `start` on."""
        rx = re.compile(pattern)
        return self.wait_until(lambda: rx.search(self.buf, start), timeout)

    def since(self, mark):
        return self.buf[mark:]

    # writing -----------------------------------------------------------------------

    def mark(self):
        self.read(0)
        return len(self.buf)

    def send(self, keys):
        os.write(self.fd, keys.encode())

    def type(self, line):
        """Type a command line and Enter; returns the mark before it."""
        mark = self.mark()
        self.send(line + "\r")
        return mark

    def resize(self, rows, cols):
        set_winsize(self.fd, rows, cols)

    # the shell ---------------------------------------------------------------------

    def prompt(self, timeout, mark):
        return bool(self.expect(re.escape(PROMPT), timeout, mark))

    def run(self, line, timeout=3.0, row=None, quick=True):
        """Type a command line, wait for the prompt; the lines it printed.
        quick: the shell answers at once (a builtin, a job put in the
        background) unless something took the terminal from it."""
        mark = self.type(line)
        m = self.expect(re.escape(PROMPT), timeout, mark)
        if not m:
            raise Stop(row, self.no_answer(timeout) if quick else hangs(timeout))
        return self.buf[mark:m.start()]

    def no_answer(self, timeout):
        """Why the shell did not answer a quick command."""
        me = read_stat(self.pid)
        if me and me.tpgid != me.pgrp:
            return "— (shell lost the terminal)"
        return hangs(timeout)

    def status(self, row, timeout=2.0):
        """`echo $?` typed at the prompt."""
        mark = self.type('echo "rc=$?"')
        m = self.expect(r"rc=(\d+)", timeout, mark)
        if not m:
            raise Stop(row, self.no_answer(timeout))
        self.expect(re.escape(PROMPT), 1.0, m.end())
        return int(m.group(1))

    def child(self, comm, timeout=3.0):
        """The shell's child named comm (the launcher), once it is there."""
        def find():
            return next((p.pid for p in all_procs().values()
                         if p.ppid == self.pid and p.comm == comm), None)
        return self.wait_until(find, timeout)

    def descendant(self, root, comm, timeout=3.0, want_state=None):
        """root's nearest descendant named comm (COMMAND), once it is there."""
        def find():
            procs = all_procs()
            for pid in descendants(root, procs):
                p = procs.get(pid)
                if p and p.comm == comm and (want_state is None or p.state in want_state):
                    return pid
            return None
        return self.wait_until(find, timeout)

    def tty_modes(self, row):
        """ICANON and ECHO of the terminal as the next command gets it.
        (Not at the prompt: readline turns both off while it reads.)"""
        mark = self.type("sleep 5")
        sp = self.wait_until(
            lambda: next((p.pid for p in all_procs().values()
                          if p.ppid == self.pid and p.comm == "sleep"), None), 2.0)
        if not sp:
            raise Stop(row, self.no_answer(2.0))
        lflag = termios.tcgetattr(self.fd)[3]
        os.kill(sp, signal.SIGTERM)
        self.prompt(2.0, mark)
        on = lambda bit: "on" if lflag & bit else "off"
        return f"{on(termios.ICANON)}/{on(termios.ECHO)}"

    # the end -----------------------------------------------------------------------

    def kill(self):
        """SIGKILL everything the session started, wherever it went."""
        token = self.ctx.token.encode()
        deadline = time.monotonic() + 3.0
        while True:
            procs = all_procs()
            victims = set(descendants(self.pid, procs)) | {self.pid}
            victims |= {p.pid for p in procs.values() if p.sid == self.pid}
            victims |= {p.pid for p in procs.values()
                        if p.pid != os.getpid() and environ_has(p.pid, token)}
            victims = {v for v in victims if v in procs and procs[v].state not in ("Z", "X")}
            if not victims or time.monotonic() > deadline:
                break
            for v in victims:
                try:
                    os.kill(v, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)
            reap_orphans()
        self.closed = True
        try:
            os.close(self.fd)
        except OSError:
            pass
        end = time.monotonic() + 2.0
        while time.monotonic() < end:
            try:
                if os.waitpid(self.pid, os.WNOHANG)[0]:
                    break
            except ChildProcessError:
                break
            time.sleep(0.02)
        reap_orphans()
        if self in self.ctx.sessions:
            self.ctx.sessions.remove(self)


# --- one case under one launcher ------------------------------------------------------


def counter(path, sigs):
    """A COMMAND that appends a line per signal to path; READY once trapped."""
    traps = "; ".join(f'trap "echo {s} >>{path}" {s}' for s in sigs)
    return ["bash", "-c", f"{traps}; echo READY >>{path}; while :; do sleep 0.05; done"]


def count(path, word):
    try:
        with open(path) as f:
            return sum(1 for line in f if line.strip() == word)
    except OSError:
        return 0


def file_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def clean(text):
    """Terminal output as plain lines: no escapes, no carriage returns."""
    text = ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return [ln.strip() for ln in text.split("\n")]


def quoted(lines):
    """Lines as one table cell: each in backticks, or "none". (The Markdown
    table moves long ones to a note under it.)"""
    lines = [ln.replace("`", "'") for ln in lines if ln]
    return " / ".join(f"`{ln}`" for ln in lines) if lines else "none"


def yn(flag):
    return "yes" if flag else "no"


class Run:
    """One case under one launcher: a fresh session and scratch files."""

    def __init__(self, ctx, column, tmp):
        self.ctx, self.column, self.tmp = ctx, column, tmp
        self.L = column["argv"]
        self.lcomm = os.path.basename(self.L[0])[:15]
        self.depth = column.get("init_depth", 0)
        self.out = {}  # row key -> cell
        self.detail = {}  # anything worth keeping in the JSON
        self.s = Session(ctx)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def line(self, cmd, pre="", post=""):
        return pre + shlex.join(self.L + cmd) + post

    def option(self, feature, row):
        """The launcher with the column's option for `feature` (its argv up
        to COMMAND); Stop with "no option" if the tool has none."""
        opts = self.column.get("opts", {}).get(feature)
        if opts is None:
            raise Stop(row, "no option")
        return self.column["base"] + opts + self.column["sep"]


    def launch(self, cmd, pre="", post=""):
        """Type LAUNCHER COMMAND; the mark before it."""
        return self.s.type(self.line(cmd, pre, post))

    def launcher(self, row, timeout=3.0):
        """The process the case signals: the one the shell started, or,
        for an init behind `unshare --pid --fork` (init_depth 1), that
        init, PID 1 of the namespace, as a container runtime signals it."""
        lp = self.s.child(self.lcomm, timeout)
        if not lp:
            raise Stop(row, "did not start")
        for _ in range(self.depth):
            lp = self.s.wait_until(
                lambda: next((p.pid for p in all_procs().values() if p.ppid == lp), None),
                timeout)
            if not lp:
                raise Stop(row, "init did not start")
        return lp

    def ready(self, path, row, timeout=5.0):
        if not self.s.wait_until(lambda: "READY" in file_text(path), timeout):
            raise Stop(row, "COMMAND did not start")

    def command(self, lp, comm, row, timeout=3.0, want_state=None):
        pid = self.s.descendant(lp, comm, timeout, want_state)
        if not pid:
            raise Stop(row, "COMMAND did not start")
        return pid


# --- the cases ----------------------------------------------------------------------------

CASES = []


def case(num, title, rows, legend, needs=(), trials=1, inits_only=False):
    """Register a case. trials > 1 for a case whose outcome hangs on a race
    (two copies of one signal that may merge, two readers of one terminal):
    it runs that many times, each in a fresh session. inits_only: a case
    about what an init does (the second table's columns only)."""
    def register(fn):
        CASES.append({"id": num, "title": title, "rows": rows, "legend": legend,
                      "needs": list(needs), "fn": fn, "trials": trials,
                      "inits_only": inits_only})
        return fn
    return register


@case(1, "Ctrl-C once", [("n", "SIGINTs COMMAND saw")],
      "COMMAND traps INT, WINCH and TERM and logs each to a file; Ctrl-C typed once.",
      trials=3)
def c_ctrl_c(r):
    f = r.path("count")
    r.launch(counter(f, ["INT", "WINCH", "TERM"]))
    r.ready(f, "n")
    r.s.send("\x03")
    r.s.settle(SETTLE)
    r.out["n"] = str(count(f, "INT"))


@case(2, "Two resizes", [("n", "SIGWINCHs COMMAND saw")],
      "The same COMMAND; the terminal resized twice (TIOCSWINSZ), 0.5 s apart.",
      trials=3)
def c_resize(r):
    f = r.path("count")
    r.launch(counter(f, ["INT", "WINCH", "TERM"]))
    r.ready(f, "n")
    r.s.resize(ROWS + 1, COLS + 1)
    r.s.settle(SETTLE)
    r.s.resize(ROWS + 2, COLS + 2)
    r.s.settle(SETTLE)
    r.out["n"] = str(count(f, "WINCH"))


@case(3, "`kill -TERM` launcher", [("n", "SIGTERMs COMMAND saw")],
      "The same COMMAND; SIGTERM sent to the launcher (the process the shell started).")
def c_term(r):
    f = r.path("count")
    r.launch(counter(f, ["INT", "WINCH", "TERM"]))
    r.ready(f, "n")
    lp = r.launcher("n")
    os.kill(lp, signal.SIGTERM)
    r.s.settle(SETTLE)
    r.out["n"] = str(count(f, "TERM"))


@case(4, "Service: `kill -HUP` launcher twice",
      [("reloads", "reloads"), ("running", "still running 1 s after")],
      "COMMAND traps HUP as \"reload\"; SIGHUP sent to the launcher twice, 1 s apart; "
      "1 s later, are the launcher and COMMAND both still there?")
def c_hup(r):
    f = r.path("count")
    r.launch(counter(f, ["HUP"]))
    r.ready(f, "reloads")
    lp = r.launcher("reloads")
    cp = r.command(lp, "bash", "reloads")
    os.kill(lp, signal.SIGHUP)
    r.s.settle(1.0)
    if alive(lp):
        os.kill(lp, signal.SIGHUP)
    r.s.settle(1.0)
    r.out["reloads"] = str(count(f, "HUP"))
    la, ca = alive(lp), alive(cp)
    r.out["running"] = ("yes" if la and ca else "no" if not la and not ca
                        else "launcher gone, COMMAND runs on" if ca else "COMMAND gone")


@case(5, "`sleep 1000`, Ctrl-C",
      [("first", "still running after one Ctrl-C"),
       ("second", "after a second: exit status"),
       ("stderr", "stderr")],
      "COMMAND `sleep 1000` (no handler), stderr to a file; Ctrl-C, then 0.5 s later "
      "Ctrl-C again; `echo $?` once the prompt is back.")
def c_sleep_int(r):
    err = r.path("stderr")
    try:
        mark = r.launch(["sleep", "1000"], post=f" 2>{err}")
        lp = r.launcher("first")
        sp = r.command(lp, "sleep", "first")
        r.s.send("\x03")
        ended = r.s.prompt(SETTLE, mark)
        r.out["first"] = yn(not ended and alive(sp))
        if ended:
            r.out["second"] = f"{r.s.status('second')} (ended at the first)"
        else:
            r.s.send("\x03")
            if r.s.prompt(2.0, mark):
                r.out["second"] = str(r.s.status("second"))
            else:
                r.out["second"] = hangs(2.0)
    finally:
        r.out["stderr"] = quoted(file_text(err).splitlines())


@case(6, "SIGCHLD ignored by the caller",
      [("status", "exit status (or hangs)"), ("messages", "messages")],
      "`perl -e '$SIG{CHLD}=\"IGNORE\"; exec @ARGV' LAUNCHER true`: SIGCHLD's "
      "disposition is inherited across exec.", needs=["perl"])
def c_sigchld_ign(r):
    line = "perl -e " + shlex.quote('$SIG{CHLD}="IGNORE"; exec @ARGV') + " " + r.line(["true"])
    mark = r.s.type(line)
    m = r.s.expect(re.escape(PROMPT), 5.0, mark)
    text = r.s.buf[mark:m.start()] if m else r.s.since(mark)
    r.out["messages"] = quoted(clean(text)[1:])
    r.out["status"] = str(r.s.status("status")) if m else hangs(5.0)


@case(7, "Caller ignores SIGINT; `kill -INT` launcher",
      [("n", "SIGINTs COMMAND saw"), ("running", "still running")],
      "`bash -c 'trap \"\" INT; exec LAUNCHER COMMAND' &` (COMMAND the counting one), as "
      "`cmd &` in a script leaves SIGINT ignored; then SIGINT to the launcher. (A bash "
      "COMMAND cannot trap a signal ignored on entry: it counts only if the launcher "
      "resets the disposition.)")
def c_ign_int(r):
    f = r.path("count")
    inner = "trap '' INT; exec " + r.line(counter(f, ["INT", "WINCH", "TERM"]))
    r.s.run("bash -c " + shlex.quote(inner) + " &", 3.0, "n")
    r.ready(f, "n")
    lp = r.launcher("n")
    cp = r.command(lp, "bash", "n")
    os.kill(lp, signal.SIGINT)
    r.s.settle(SETTLE)
    r.out["n"] = str(count(f, "INT"))
    r.out["running"] = yn(alive(lp) and alive(cp))


@case(8, "`cat`, Ctrl-Z, `fg`",
      [("stopped", "shell prints Stopped"), ("states", "state launcher/cat"),
       ("echo", "after fg, `hello` echoed by cat")],
      "COMMAND `cat` in the foreground; Ctrl-Z; states 0.5 s later; then `fg` and "
      "`hello` typed: does cat print it back (the terminal's own echo aside)?", trials=3)
def c_cat_tstp(r):
    r.launch(["cat"])
    lp = r.launcher("stopped")
    cp = r.command(lp, "cat", "stopped", want_state="S")
    mark = r.s.mark()
    r.s.send("\x1a")
    r.s.settle(SETTLE)
    r.out["states"] = f"{state(lp)}/{state(cp)}"
    back = r.s.prompt(1.0, mark)
    r.out["stopped"] = yn("Stopped" in r.s.since(mark))
    if not back:
        raise Stop("echo", "— (no prompt)")
    r.s.type("fg")
    r.s.settle(0.3)
    mark = r.s.type("hello")
    # "hello" once is the terminal's echo; "hello:" would be bash's error.
    rx = re.compile(r"hello(?!:)")
    got = r.s.wait_until(lambda: len(rx.findall(r.s.since(mark))) >= 2, 1.0)
    r.out["echo"] = yn(got)
    # The end, not in the table: Ctrl-D, else Ctrl-C.
    r.s.send("\x04")
    if not r.s.prompt(1.0, mark):
        r.s.send("\x03")
        r.detail["ended"] = "Ctrl-C" if r.s.prompt(0.5, mark) else "hangs"
    else:
        r.detail["ended"] = "Ctrl-D"


@case(9, "`cat &` (background reader)",
      [("jobs", "shell says (`jobs`)"), ("states", "state launcher/cat"),
       ("cpu", "cat's CPU over 1 s")],
      "`LAUNCHER cat &`; 2 s later the states and cat's CPU ticks (utime+stime) over "
      f"1 s at {HZ} ticks/s (\"spins\" above {SPINS}% of a core; a blocked reader uses 0); "
      "then `jobs`.")
def c_cat_bg(r):
    t0 = time.monotonic()
    r.s.run(r.line(["cat"], post=" &"), 3.0, "jobs")
    lp = r.launcher("jobs")
    cp = r.command(lp, "cat", "jobs")
    r.s.settle(max(0.0, 2.0 - (time.monotonic() - t0)))
    r.out["states"] = f"{state(lp)}/{state(cp)}"
    a, ta = ticks(cp), time.monotonic()
    r.s.settle(1.0)
    b, tb = ticks(cp), time.monotonic()
    if a is None or b is None:
        r.out["cpu"] = "cat gone"
    else:
        used = (b - a) / (HZ * (tb - ta)) * 100
        r.detail["cpu_ticks"] = b - a
        r.out["cpu"] = f"{b - a} ticks" + (" (spins)" if used > SPINS else "")
    text = r.s.run("jobs", 2.0, "jobs")
    m = re.search(r"\[\d+\][+-]?\s+(Stopped(?: \([^)]*\))?|Running|Done|Exit \d+|\w+)", text)
    r.out["jobs"] = m.group(1) if m else "(no job)"


def full_screen(r, cmd, comm, marker):
    """Cases 10 and 11: Ctrl-Z, fg, q, then the terminal's modes."""
    mark = r.launch(cmd)
    if not r.s.expect(marker, 3.0, mark + len(r.line(cmd))):
        raise Stop("prompt", f"{comm} drew nothing")
    lp = r.launcher("prompt")
    pp = r.command(lp, comm, "prompt")
    r.s.settle(0.3)
    mark = r.s.mark()
    r.s.send("\x1a")
    r.s.settle(SETTLE)
    r.out["states"] = f"{state(lp)}/{state(pp)}"
    back = r.s.prompt(1.0, mark)
    r.out["prompt"] = yn(back)
    if back:
        mark = r.s.type("fg")
        prompt = re.escape(PROMPT)
        m = r.s.expect(f"(?:{marker})|{prompt}", 1.5, mark)
        r.s.settle(0.2)
        # Did fg run? It prints the job's command line. Not if COMMAND,
        # never stopped, read the "f" of "fg" (bash then runs "g") or the
        # Enter; keys it read may redraw it too, so no redraw counts then.
        if r.line(cmd) not in r.s.since(mark):
            raise Stop("redraw", "— (fg failed)")
        r.out["redraw"] = yn(m and re.match(marker, m.group(0)))
        if r.s.expect(prompt, 0, mark):
            # The shell answered fg at once: the job had ended already
            # (COMMAND exited while the launcher was stopped), or it
            # stopped again; the status says which.
            r.out["quit"] = f"{r.s.status('quit')} (at fg, before q)"
            r.out["modes"] = r.s.tty_modes("modes")
            return
    else:
        # Stuck: there is no shell to type fg to, and q would go to a
        # COMMAND that may well be stopped.
        raise Stop("redraw", "— (no prompt)")
    mark = r.s.mark()
    r.s.send("q")
    if not r.s.prompt(1.5, mark):
        raise Stop("quit", hangs(1.5))
    r.out["quit"] = str(r.s.status("quit"))
    r.out["modes"] = r.s.tty_modes("modes")


FULL_SCREEN_ROWS = [
    ("prompt", "Ctrl-Z: prompt back"), ("states", "state launcher/{}"),
    ("redraw", "`fg`: redraws"), ("quit", "`q`: exit status"),
    ("modes", "terminal after: ICANON/ECHO"),
]


@case(10, "`less /etc/services`", [(k, v.format("less")) for k, v in FULL_SCREEN_ROWS],
      "Full-screen `less /etc/services`; Ctrl-Z; states 0.5 s later; `fg` (does a line "
      "of the file reappear?); `q`; `echo $?`; the terminal's ICANON and ECHO as the "
      "next command gets them.", needs=["less"], trials=3)
def c_less(r):
    full_screen(r, ["less", "/etc/services"], "less", r"tcpmux")


@case(11, "`top -d 1`", [(k, v.format("top")) for k, v in FULL_SCREEN_ROWS],
      "The same with `top -d 1` (a redraw shows \"load average\").", needs=["top"], trials=3)
def c_top(r):
    full_screen(r, ["top", "-d", "1"], "top", r"load average")


@case(12, "`python3 -q`, Ctrl-C twice",
      [("alive", "still alive (`>>>` back)"), ("ki", "KeyboardInterrupt printed"),
       ("quit", "`exit()`: exit status"), ("modes", "terminal after: ICANON/ECHO")],
      "The Python REPL; Ctrl-C twice, 0.5 s apart; `exit()`; the terminal's modes.",
      needs=["python3"], trials=3)
def c_python(r):
    mark = r.launch(["python3", "-q"])
    if not r.s.expect(r">>> ", 5.0, mark):
        raise Stop("alive", "no >>> prompt")
    lp = r.launcher("alive")
    pp = r.command(lp, "python3", "alive")
    mark = r.s.mark()
    r.s.send("\x03")
    r.s.settle(SETTLE)
    second = r.s.mark()
    r.s.send("\x03")
    back = r.s.expect(r">>> ", 1.0, second)
    r.s.settle(SETTLE)
    r.out["alive"] = yn(back and alive(pp))
    r.out["ki"] = f"{r.s.since(mark).count('KeyboardInterrupt')}×"
    if alive(pp):
        mark = r.s.mark()
        r.s.send("exit()\r")
    else:  # the shell's prompt may be back already
        mark = second
    if not r.s.prompt(2.0, mark):
        raise Stop("quit", hangs(2.0))
    r.out["quit"] = str(r.s.status("quit"))
    r.out["modes"] = r.s.tty_modes("modes")


@case(13, "`stty tostop`, background job, `kill -TERM`",
      [("got", "COMMAND got SIGTERM"), ("wait", "`wait`: exit status"),
       ("state", "launcher's state")],
      "`stty tostop`; `LAUNCHER sh -c 'trap \"echo got >FILE; exit 3\" TERM; while :; do "
      "sleep .1; done' &`; `kill -TERM $!` typed; 1 s later the launcher's state "
      "(T: stopped by SIGTTOU for writing to the terminal) and FILE; `wait $!`. "
      "COMMAND writes to a file, not the terminal: the case is whether the launcher "
      "passes SIGTERM on without stopping itself.")
def c_tostop(r):
    got = r.path("got")
    cmd = ["sh", "-c", f'trap "echo got >{got}; exit 3" TERM; while :; do sleep .1; done']
    r.s.run("stty tostop", 2.0, "got", quick=False)
    try:
        r.s.run(r.line(cmd, post=" &"), 3.0, "got")
        lp = r.launcher("got")
        r.command(lp, "sh", "got")
        r.s.settle(0.3)  # the trap is set before the loop's first sleep
        r.s.run("kill -TERM $!", 2.0, "got")
        r.s.settle(1.0)
        r.out["state"] = {"gone": "exited", "Z": "exited"}.get(state(lp), state(lp))
        r.out["got"] = yn(os.path.exists(got))
        mark = r.s.type('wait $!; echo "rc=$?"')
        m = r.s.expect(r"rc=(\d+)", 3.0, mark)
        if m:
            r.out["wait"] = m.group(1)
            r.s.prompt(1.0, m.end())
        else:
            r.out["wait"] = hangs(3.0)
            r.s.send("\x03")  # interrupts the shell's own wait
            r.s.prompt(1.0, mark)
    finally:
        r.s.send("stty -tostop\r")


@case(14, "Script without `#!`",
      [("output", "output"), ("status", "exit status")],
      "COMMAND `./no-shebang`, a file holding `echo script-ran`, mode 755, no `#!` line. "
      "(Shells and execvp run such files with /bin/sh.)")
def c_noshebang(r):
    script = r.path("no-shebang")
    with open(script, "w") as f:
        f.write("echo script-ran\n")
    os.chmod(script, 0o755)
    r.s.run(f"cd {shlex.quote(r.tmp)}", 2.0, "output")
    text = r.s.run(r.line(["./no-shebang"]), 3.0, "output", quick=False)
    lines = [ln for ln in clean(text)[1:] if ln]
    r.detail["output"] = lines
    r.out["output"] = quoted(lines)
    r.out["status"] = str(r.s.status("status"))


@case(15, "Unprivileged COMMAND, `kill -9` launcher",
      [("survives", "COMMAND survives")],
      "`LAUNCHER setpriv --reuid=65534 --regid=65534 --clear-groups sleep 1000 &`, then "
      "SIGKILL to the launcher: is that sleep still there 1 s later? (A changed UID "
      "clears PR_SET_PDEATHSIG.)", needs=["setpriv"])
def c_setpriv(r):
    cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sleep", "1000"]
    r.s.run(r.line(cmd, post=" &"), 3.0, "survives")
    lp = r.launcher("survives")
    sp = r.command(lp, "sleep", "survives")
    os.kill(lp, signal.SIGKILL)
    r.s.settle(1.0)
    r.out["survives"] = yn(alive(sp))
    if alive(sp):
        os.kill(sp, signal.SIGKILL)


def inner_shell(r, cmd):
    """Cases 16 and 17: an interactive shell as COMMAND, left with `exit 0`."""
    pre = f"PS1={shlex.quote(INNER_PROMPT)} "
    mark = r.launch(cmd, pre=pre)
    # Past the echo of the typed line, which holds the prompt too.
    echo = mark + len(r.line(cmd, pre))
    r.detail["inner_prompt"] = bool(r.s.expect(re.escape(INNER_PROMPT), 3.0, echo))
    r.s.settle(0.2)
    r.s.send("exit 0\r")
    m = r.s.expect(re.escape(PROMPT), 2.0, mark)
    text = r.s.buf[mark:m.start()] if m else r.s.since(mark)
    lines = [ln for ln in clean(text)[1:]
             if ln and ln != "exit" and not ln.startswith(INNER_PROMPT.strip())]
    r.detail["messages"] = lines
    r.out["messages"] = quoted(lines)
    if not m:
        r.out["status"] = hangs(2.0)
        return
    r.out["status"] = str(r.s.status("status"))


@case(16, "`dash -i`, `exit 0`", [("status", "exit status"), ("messages", "messages")],
      "An interactive dash as COMMAND (prompt `[in]$`); `exit 0` typed; the launcher's "
      "exit status and anything else the terminal showed.", needs=["dash"])
def c_dash(r):
    inner_shell(r, ["dash", "-i"])


@case(17, "`bash --norc -i`, `exit 0`", [("status", "exit status"), ("messages", "messages")],
      "The same with `bash --norc -i` (its `exit` line not counted).")
def c_bash(r):
    inner_shell(r, ["bash", "--norc", "-i"])


@case(18, "`sleep 1000`, `kill -9` launcher", [("survives", "COMMAND survives")],
      "COMMAND `sleep 1000` in the foreground; SIGKILL to the launcher; is the sleep "
      "still there 1 s later?")
def c_kill9(r):
    r.launch(["sleep", "1000"])
    lp = r.launcher("survives")
    sp = r.command(lp, "sleep", "survives")
    os.kill(lp, signal.SIGKILL)
    r.s.settle(1.0)
    r.out["survives"] = yn(alive(sp))


@case(19, "`LAUNCHER sh -c yes | head -1`",
      [("status", "`${PIPESTATUS[0]}`"), ("stderr", "stderr")],
      "A pipeline whose reader leaves early: the launcher's status in the pipeline "
      "(141 = SIGPIPE) and its stderr (to a file).")
def c_pipe(r):
    err = r.path("stderr")
    try:
        mark = r.launch(["sh", "-c", "yes"], post=f" 2>{err} | head -1; "
                        'echo "ps=${PIPESTATUS[0]}"')
        m = r.s.expect(r"ps=(\d+)", 5.0, mark)
        r.out["status"] = m.group(1) if m else hangs(5.0)
        if not m:
            r.s.send("\x03")
    finally:
        r.out["stderr"] = quoted(file_text(err).splitlines())


@case(20, "`sleep 1000` killed by `kill -9`",
      [("status", "launcher's exit status"), ("stderr", "stderr")],
      "COMMAND `sleep 1000`, stderr to a file; SIGKILL sent to the sleep itself "
      "from outside.")
def c_killed(r):
    err = r.path("stderr")
    try:
        mark = r.launch(["sleep", "1000"], post=f" 2>{err}")
        lp = r.launcher("status")
        sp = r.command(lp, "sleep", "status")
        os.kill(sp, signal.SIGKILL)
        if not r.s.prompt(3.0, mark):
            raise Stop("status", hangs(3.0))
        r.out["status"] = str(r.s.status("status"))
    finally:
        r.out["stderr"] = quoted(file_text(err).splitlines())


# --- what an init does (the second table) ------------------------------------------------


def find_by_cmdline(argv):
    """PIDs of live processes whose command line is exactly argv."""
    want = ("\0".join(argv) + "\0").encode()
    found = []
    for p in all_procs().values():
        try:
            with open(f"/proc/{p.pid}/cmdline", "rb") as f:
                if f.read() == want and p.state not in ("Z", "X"):
                    found.append(p.pid)
        except OSError:
            pass
    return found


@case(21, "LISTEN_PID (socket activation)", [("env", "COMMAND's LISTEN_PID")],
      "`bash -c 'export LISTEN_PID=$$ LISTEN_FDS=1; exec LAUNCHER sh -c ...'`, as systemd "
      "starts a socket-activated service: LISTEN_PID names the launcher. Does COMMAND find "
      "its own PID there (what sd_listen_fds() checks)?", inits_only=True)
def c_listen_pid(r):
    inner = "export LISTEN_PID=$$ LISTEN_FDS=1; exec " + r.line(
        ["sh", "-c", 'echo "lp=$$:$LISTEN_PID"'])
    text = r.s.run("bash -c " + shlex.quote(inner), 3.0, "env", quick=False)
    m = re.search(r"lp=(\d+):(\d*)", text)
    if not m:
        raise Stop("env", "no output")
    r.detail["pid_and_listen_pid"] = [m.group(1), m.group(2)]
    r.out["env"] = "its own PID" if m.group(1) == m.group(2) else "the launcher's PID"


@case(22, "Working directory of the init", [("cwd", "the init's cwd")],
      "`cd SCRATCH; LAUNCHER sleep 1000 &`: where is the init's own working directory "
      "(/proc/INIT/cwd)? A process whose cwd is on a mount keeps that mount busy.",
      inits_only=True)
def c_cwd(r):
    r.s.run(f"cd {shlex.quote(r.tmp)}", 2.0, "cwd")
    r.s.run(r.line(["sleep", "1000"], post=" &"), 3.0, "cwd")
    lp = r.launcher("cwd")
    r.command(lp, "sleep", "cwd")
    init = lp
    r.s.settle(0.2)
    cwd = os.readlink(f"/proc/{init}/cwd")
    r.out["cwd"] = "/" if cwd == "/" else ("the launch directory" if cwd == r.tmp else cwd)


@case(23, "Inherited descriptors", [("init", "fds ≥ 3 the init keeps"),
                                    ("command", "COMMAND has fd 7")],
      "`LAUNCHER sleep 1000 7>FILE &`: which descriptors from 3 up does the init hold "
      "0.2 s later (fd 7, FILE, is the inherited one; others are its own), and does "
      "COMMAND still have fd 7?", inits_only=True)
def c_fds(r):
    f = r.path("held")
    r.s.run(r.line(["sleep", "1000"], post=f" 7>{shlex.quote(f)} &"), 3.0, "init")
    lp = r.launcher("init")
    sp = r.command(lp, "sleep", "init")
    init = lp
    r.s.settle(0.2)
    held = []
    for fd in sorted(int(x) for x in os.listdir(f"/proc/{init}/fd")):
        if fd < 3:
            continue
        try:
            target = os.readlink(f"/proc/{init}/fd/{fd}")
        except OSError:
            continue
        held.append(f"{fd} FILE" if target == f else f"{fd} {target}")
    r.out["init"] = ", ".join(held) if held else "none"
    r.out["command"] = yn(os.path.exists(f"/proc/{sp}/fd/7")
                          and os.readlink(f"/proc/{sp}/fd/7") == f)


@case(24, "Exit code remapped to 0", [("status", "exit status")],
      "COMMAND `sh -c 'exit 143'` under the launcher's option that maps 143 to 0 "
      "(ns-tool init -e 143, tini -e 143); `echo $?`.", inits_only=True)
def c_exit_zero(r):
    prefix = r.option("exit_zero", "status")
    r.s.run(shlex.join(prefix + ["sh", "-c", "exit 143"]), 3.0, "status", quick=False)
    r.out["status"] = str(r.s.status("status"))


@case(25, "Signal rewritten", [("got", "COMMAND saw")],
      "COMMAND traps USR2 and TERM; launched with the option that rewrites TERM (15) to "
      "USR2 (12) (ns-tool init -r 15:12, dumb-init -r 15:12); SIGTERM sent to the launcher.",
      inits_only=True)
def c_rewrite(r):
    prefix = r.option("rewrite", "got")
    f = r.path("count")
    r.s.type(shlex.join(prefix + counter(f, ["USR2", "TERM"])))
    r.ready(f, "got")
    lp = r.launcher("got")
    os.kill(lp, signal.SIGTERM)
    r.s.settle(SETTLE)
    seen = [ln.strip() for ln in file_text(f).splitlines() if ln.strip() not in ("", "READY")]
    r.out["got"] = ", ".join(seen) if seen else "nothing"


@case(26, "Pause mode, `kill -TERM`", [("status", "`wait`: exit status")],
      "The launcher's pause option with no COMMAND (ns-tool init -P, catatonit -P), in the "
      "background; SIGTERM to it; `wait $!`.", inits_only=True)
def c_pause(r):
    prefix = r.option("pause", "status")
    # No COMMAND: the separator is left out.
    argv = prefix[:len(prefix) - len(r.column["sep"])]
    r.s.run(shlex.join(argv) + " &", 3.0, "status")
    lp = r.launcher("status")
    r.s.settle(0.3)
    if not alive(lp):
        mark = r.s.type('wait $!; echo "rc=$?"')
        m = r.s.expect(r"rc=(\d+)", 2.0, mark)
        raise Stop("status", f"{m.group(1) if m else '?'} (exited at once)")
    os.kill(lp, signal.SIGTERM)
    mark = r.s.type('wait $!; echo "rc=$?"')
    m = r.s.expect(r"rc=(\d+)", 2.0, mark)
    if m:
        r.out["status"] = m.group(1)
    else:
        r.out["status"] = hangs(2.0)
        os.kill(lp, signal.SIGKILL)


@case(27, "COMMAND exits, an orphan remains",
      [("status", "exit status"), ("orphan", "the orphan 1 s later")],
      "COMMAND `sh -c 'sleep 1234 & exit 5'`: the launcher's status once the prompt is "
      "back, and whether the orphaned `sleep 1234` still runs 1 s later.", inits_only=True)
def c_orphan(r):
    argv = ["sleep", "1234"]
    mark = r.launch(["sh", "-c", "sleep 1234 & exit 5"])
    if not r.s.prompt(3.0, mark):
        raise Stop("status", hangs(3.0))
    r.out["status"] = str(r.s.status("status"))
    r.s.settle(1.0)
    left = find_by_cmdline(argv)
    r.out["orphan"] = "runs on" if left else "killed"
    for pid in left:
        os.kill(pid, signal.SIGKILL)


@case(28, "Group signalling, `kill -TERM` launcher",
      [("grandchild", "COMMAND's child got it")],
      "COMMAND `sh -c 'sleep 1235 & trap \"\" TERM; wait'` under the option that signals "
      "COMMAND's whole process group (ns-tool init -g, tini -g, catatonit -g; dumb-init "
      "does by default); SIGTERM to the launcher; is `sleep 1235` gone 0.5 s later?",
      inits_only=True)
def c_group(r):
    prefix = r.option("group", "grandchild")
    r.s.type(shlex.join(prefix + ["sh", "-c", "sleep 1235 & trap '' TERM; wait"]))
    lp = r.launcher("grandchild")
    sp = r.command(lp, "sleep", "grandchild")
    r.s.settle(0.3)
    os.kill(lp, signal.SIGTERM)
    r.s.settle(SETTLE)
    r.out["grandchild"] = yn(not alive(sp))


# --- running them -------------------------------------------------------------------------


def on_alarm(signum, frame):
    raise CaseTimeout()


def run_trial(ctx, c, column, trial):
    """One fresh session: the case's cells, details, and whether it broke."""
    keys = [k for k, _ in c["rows"]]
    tmp = tempfile.mkdtemp(prefix=f"c{c['id']}{column['key']}{trial}.", dir=ctx.tmp)
    broke = False
    run = None
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, ctx.cap)
    try:
        run = Run(ctx, column, tmp)
        c["fn"](run)
    except Stop as e:
        if e.row is not None:
            run.out.setdefault(e.row, e.value)
    except CaseTimeout:
        broke = True
        if run:
            run.detail["error"] = f"case still running after {ctx.cap:g} s"
    except Exception as e:  # the comparison broke: say so in the cell
        broke = True
        log(f"case {c['id']} under {column['key']}: {type(e).__name__}: {e}")
        if run:
            run.detail["error"] = f"{type(e).__name__}: {e}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if run:
            run.s.kill()
    out = run.out if run else {}
    detail = run.detail if run else {"error": "session did not start"}
    if broke:
        for k in keys:
            out.setdefault(k, "error")
    cells = {k: out.get(k, "—") for k in keys}
    if run:
        detail["terminal"] = ANSI.sub("", run.s.buf)[-4000:]
    return cells, detail, broke


def run_case(ctx, c, column):
    """The case's trials; a row whose trials disagree lists each one."""
    keys = [k for k, _ in c["rows"]]
    missing = [t for t in c["needs"] if not shutil.which(t, path=SESSION_PATH)]
    if missing:
        return {k: "not installed" for k in keys}, {"missing": missing}, False
    trials = [run_trial(ctx, c, column, i) for i in range(ctx.trials(c))]
    cells = {}
    for k in keys:
        values = [t[0][k] for t in trials]
        cells[k] = values[0] if len(set(values)) == 1 else "varies: " + ", ".join(values)
    detail = {"trials": [t[1] for t in trials]} if len(trials) > 1 else trials[0][1]
    return cells, detail, any(t[2] for t in trials)


class Ctx:
    def __init__(self, args, tmp):
        self.tmp = tmp
        self.cap = args.case_cap
        self.max_trials = args.trials
        self.sessions = []
        self.token = f"CMP_SIGNALS_RUN={os.getpid()}.{time.time_ns()}"
        self.bash = shutil.which("bash", path=SESSION_PATH)
        self.trials = lambda c: max(1, min(c["trials"], self.max_trials))
        inputrc = os.path.join(tmp, "inputrc")
        with open(inputrc, "w") as f:
            # No escape sequences around each prompt.
            f.write("set enable-bracketed-paste off\n")
        home = os.path.join(tmp, "home")
        os.makedirs(home)
        name, value = self.token.split("=", 1)
        self.env = {
            "PATH": SESSION_PATH, "TERM": "xterm", "LC_ALL": "C", "HOME": home,
            "PS1": PROMPT, "INPUTRC": inputrc, "HISTFILE": "/dev/null",
            "LESSHISTFILE": "-", name: value,
        }


def columns(ns_bin):
    """The launchers. Group 1: the namespace makers; group 2: the inits, run
    directly (not as PID 1: ns-tool init, tini -s and catatonit become
    subreapers, dumb-init does not) and ns-tool init as PID 1 under unshare.
    base + an option + sep is the launcher with that option ("opts": None
    where the tool has none)."""
    unshare = shutil.which("unshare", path=SESSION_PATH)
    tini = shutil.which("tini", path=SESSION_PATH)
    dumb = shutil.which("dumb-init", path=SESSION_PATH)
    cata = shutil.which("catatonit", path=SESSION_PATH) or (
        "/usr/libexec/podman/catatonit"
        if os.access("/usr/libexec/podman/catatonit", os.X_OK) else None)
    pidfork = [unshare, "--pid", "--fork"]
    ns_opts = {"exit_zero": ["-e", "143"], "rewrite": ["-r", "15:12"], "pause": ["-P"],
               "group": ["-g"]}

    def init_col(key, label, base, sep, opts, missing, depth=0):
        return {"key": key, "label": label, "argv": base + sep, "base": base, "sep": sep,
                "opts": opts, "missing": missing, "group": 2, "init_depth": depth}
    inits = [
        init_col("E", "ns-tool init --", [ns_bin, "init"], ["--"], ns_opts, None),
        init_col("F", "tini -s --", [tini, "-s"], ["--"],
                 {"exit_zero": ["-e", "143"], "group": ["-g"]},
                 None if tini else "tini"),
        init_col("G", "dumb-init", [dumb], [],
                 {"rewrite": ["-r", "15:12"], "group": []}, None if dumb else "dumb-init"),
        init_col("H", "catatonit --", [cata], ["--"], {"pause": ["-P"], "group": ["-g"]},
                 None if cata else "catatonit"),
        init_col("I", "unshare --pid --fork ns-tool init --", pidfork + [ns_bin, "init"],
                 ["--"], ns_opts, None if unshare else "unshare", depth=1),
    ]
    return [
        {"key": "A", "label": "unshare --pid --fork", "argv": pidfork,
         "missing": None if unshare else "unshare"},
        {"key": "B", "label": "unshare --pid --fork tini -s --",
         "argv": pidfork + [tini, "-s", "--"],
         "missing": None if unshare and tini else "tini"},
        {"key": "C", "label": "ns-tool pid --", "argv": [ns_bin, "pid", "--"], "missing": None},
        {"key": "D", "label": "ns-tool pid --init --", "argv": [ns_bin, "pid", "--init", "--"],
         "missing": None},
    ] + inits


def leftovers(token):
    """Processes that carry this run's mark in their environment."""
    found, token = [], token.encode()
    for p in all_procs().values():
        if p.pid != os.getpid() and p.state not in ("Z", "X") and environ_has(p.pid, token):
            found.append({"pid": p.pid, "comm": p.comm, "state": p.state})
    return found


# --- the report -----------------------------------------------------------------------------


def package_version(pkg):
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                             capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    out = out.split(":", 1)[-1]
    return out.rsplit("-", 1)[0] if "-" in out else out


def tool_versions(ns_bin):
    def first_line(cmd):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=5)
            return (p.stdout or p.stderr).strip().splitlines()[0]
        except (OSError, subprocess.SubprocessError, IndexError):
            return None
    with open(ns_bin, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    versions = {"ns-tool": f"{first_line([ns_bin, '--version'])} (sha256 {digest}…)"}
    for name, pkg in (("unshare", "util-linux"), ("tini", "tini"), ("dumb-init", "dumb-init"),
                      ("catatonit", "catatonit"), ("bash", "bash"),
                      ("dash", "dash"), ("less", "less"), ("top", "procps"),
                      ("python3", "python3"), ("perl", "perl-base")):
        v = package_version(pkg)
        if v is None and shutil.which(name, path=SESSION_PATH):
            v = first_line([shutil.which(name, path=SESSION_PATH), "--version"])
        versions[name] = v
    versions["kernel"] = f"Linux {platform.release()} {platform.machine()}"
    return versions


NOTE_OVER = 48  # characters: a longer message cell becomes a note


def md_cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def md_value(text, notes):
    """A cell; a long message moves to a numbered note under the table."""
    if len(text) <= NOTE_OVER or not text.startswith("`"):
        return md_cell(text)
    n = notes.setdefault(text, len(notes) + 1)
    lines = text.count("` / `") + 1
    return f"{lines} line{'s' if lines > 1 else ''} [{n}]"


TABLES = {
    1: ("## Signals and terminals: ns-tool beside unshare and tini",
        "Measured by `bench/compare_signals.py` (`cargo make compare-signals`): each "
        "case typed into an interactive bash in a pseudo-terminal, COMMAND put after "
        "each launcher."),
    2: ("## `ns-tool init` beside tini, dumb-init and catatonit",
        "The same cases, and eight about what an init does (21 to 28), with the inits "
        "run directly from the shell, as `ns-tool init` runs where a PID namespace exists "
        "already: not PID 1, so ns-tool init, `tini -s` and catatonit make themselves child "
        "subreapers (dumb-init has no subreaper mode); the last column is ns-tool init as "
        "PID 1 of a new PID namespace (`unshare --pid --fork`), as in a container; there "
        "\"the launcher\" that a case signals or looks at is ns-tool init, PID 1 (unshare in "
        "front passes no signal on), as a container runtime signals its PID 1. "
        "\"no option\": the tool has no option for the case."),
}


def markdown(report):
    notes = {}
    lines = []
    for group, (title, intro) in TABLES.items():
        cols = [c for c in report["columns"] if c.get("group", 1) == group]
        if not cols:
            continue
        lines += [title, "", intro, ""]
        lines.append("| Case | " + " | ".join(f"`{c['label']}`" for c in cols) + " |")
        lines.append("|---" * (len(cols) + 1) + "|")
        for c in report["cases"]:
            if c["inits_only"] and group != 2:
                continue
            for i, row in enumerate(c["rows"]):
                name = f"{c['id']}. {c['title']}: {row['label']}" if i == 0 \
                    else f"{c['id']}. … {row['label']}"
                cells = [md_value(row["cells"].get(col["key"], ""), notes) for col in cols]
                lines.append(f"| {md_cell(name)} | " + " | ".join(cells) + " |")
        lines.append("")
    if notes:
        lines += ["Messages in full:", ""]
        lines += [f"- [{n}] {md_cell(text)}" for text, n in notes.items()]
    lines += ["", "Cases (LAUNCHER is the column's command; a state is the letter in "
              "/proc/PID/stat: S sleeping, R running, T stopped, Z zombie):", ""]
    for c in report["cases"]:
        lines.append(f"{c['id']}. {c['legend']}")
    lines += ["", "\"hangs (>N s)\": no answer within N s, after which the session was "
              "killed; \"—\": a step not reached."]
    racy = [str(c["id"]) for c in report["cases"] if c["trials"] > 1]
    if racy:
        n = max(c["trials"] for c in report["cases"])
        lines.append(f"Case{'s' if len(racy) > 1 else ''} {', '.join(racy)} hang on a race "
                     "(two copies of one signal that may merge; two processes reading one "
                     f"terminal): each ran {n} times, in fresh sessions, and `varies: a, b, c` "
                     "lists the runs when they disagree.")
    v = report["versions"]
    tools = ", ".join(f"{k} {val}" for k, val in v.items() if k not in ("ns-tool", "kernel")
                      and val)
    lines += ["", f"Run {report['date']} on {v['kernel']} ({os.cpu_count()} cores, load "
              f"{report['load'][0]} before, {report['load'][1]} after), in "
              f"{report['elapsed_s']:.0f} s: {v['ns-tool']}; {tools}."]
    if report["leftovers"]:
        lines.append(f"Processes left behind (killed): {report['leftovers']}")
    return "\n".join(lines) + "\n"


# --- driver -------------------------------------------------------------------------------------


def id_list(text):
    return [x.strip() for x in text.split(",") if x.strip()]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ns-tool", default=os.environ.get("NS_TOOL_BIN"),
                   help="the ns-tool binary (default: $NS_TOOL_BIN)")
    p.add_argument("--out", default=os.path.join(REPO, "target", "compare"))
    p.add_argument("--cases", type=id_list, default=None, help="e.g. 1,5,8 (default: all)")
    p.add_argument("--columns", type=id_list, default=None, help="e.g. C,E (default: A to I)")
    p.add_argument("--trials", type=int, default=3,
                   help="at most this many runs of a racy case (1: quick look)")
    p.add_argument("--case-cap", type=float, default=CASE_CAP,
                   help="seconds after which a case is stopped as broken")
    return p.parse_args()


def main():
    args = parse_args()
    if os.geteuid() != 0:
        raise CompareError("run as root: unshare(CLONE_NEWPID) needs CAP_SYS_ADMIN")
    if not args.ns_tool or not os.path.isfile(args.ns_tool):
        raise CompareError(f"no ns-tool binary ({args.ns_tool}): give --ns-tool PATH "
                           "or set NS_TOOL_BIN")
    if not shutil.which("bash", path=SESSION_PATH):
        raise CompareError("bash is not installed")
    ns_bin = os.path.abspath(args.ns_tool)
    cases = [c for c in CASES if args.cases is None or str(c["id"]) in args.cases]
    cols = [c for c in columns(ns_bin) if args.columns is None or c["key"] in args.columns]
    if not cases or not cols:
        raise CompareError("no case or no column selected")

    set_subreaper()
    load_before = "%.2f" % os.getloadavg()[0]
    started = time.monotonic()
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    results = {c["id"]: {"cells": {}, "details": {}} for c in cases}
    broken = []
    with tempfile.TemporaryDirectory(prefix="compare-signals.") as tmp:
        ctx = Ctx(args, tmp)
        try:
            for col in cols:
                log(f"column {col['key']}: {col['label']}")
                for c in cases:
                    t0 = time.monotonic()
                    if c["inits_only"] and col.get("group", 1) != 2:
                        cells = {k: "n/a" for k, _ in c["rows"]}
                        detail, broke = {"not_applicable": True}, False
                    elif col["missing"]:
                        cells = {k: "not installed" for k, _ in c["rows"]}
                        detail, broke = {"missing": col["missing"]}, False
                    else:
                        cells, detail, broke = run_case(ctx, c, col)
                    if broke:
                        broken.append(f"{c['id']}{col['key']}")
                    detail["seconds"] = round(time.monotonic() - t0, 2)
                    results[c["id"]]["cells"][col["key"]] = cells
                    results[c["id"]]["details"][col["key"]] = detail
                    log(f"  {col['key']} {c['id']:>2}. {c['title']}: "
                        + "; ".join(cells.values()) + f" ({detail['seconds']:.1f} s)")
        finally:
            for s in list(ctx.sessions):
                s.kill()
        left = leftovers(ctx.token)
        for p in left:
            try:
                os.kill(p["pid"], signal.SIGKILL)
            except OSError:
                pass
        reap_orphans()
    elapsed = time.monotonic() - started

    report = {
        "schema": 1, "date": date, "elapsed_s": round(elapsed, 1),
        "load": [load_before, "%.2f" % os.getloadavg()[0]],
        "versions": tool_versions(ns_bin),
        "columns": [{"key": col["key"], "label": col["label"], "argv": col["argv"],
                     "group": col.get("group", 1)} for col in cols],
        "cases": [], "leftovers": left, "broken": broken,
    }
    for c in cases:
        res = results[c["id"]]
        report["cases"].append({
            "id": c["id"], "title": c["title"], "legend": c["legend"],
            "inits_only": c["inits_only"],
            "trials": max(1, min(c["trials"], args.trials)),
            "rows": [{"key": k, "label": label,
                      "cells": {ck: cells[k] for ck, cells in res["cells"].items()}}
                     for k, label in c["rows"]],
            "details": res["details"],
        })
    md = markdown(report)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "signals.md"), "w") as f:
        f.write(md)
    with open(os.path.join(args.out, "signals.json"), "w") as f:
        json.dump(report, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(md, end="")
    log(f"wrote {args.out}/signals.md and signals.json in {elapsed:.0f} s")
    if left:
        raise CompareError(f"processes were left behind (now killed): {left}")
    if broken:
        raise CompareError(f"these cases broke (see signals.json): {', '.join(broken)}")


if __name__ == "__main__":
    try:
        main()
    except CompareError as e:
        print(f"compare-signals: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
