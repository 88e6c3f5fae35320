//! `ns-tool init` on the host, as the init of COMMAND without a new
//! namespace (what tini, dumb-init and catatonit do): the exit status and
//! its `-e` mapping, signals passed on once (`-r` rewrites, `-g` to the
//! group), `-P`, the housekeeping (working directory, descriptors,
//! LISTEN_PID), the subreaper, ns-tool as PID 1 of a PID namespace, and
//! the unprivileged path. Usage errors are in cli_test.rs; the terminal
//! (Ctrl-C, Ctrl-Z, interactive shells) in terminal_test.rs.
//!
//! Nothing here measures time: each wait polls, with a deadline long
//! enough for a loaded machine, and fails saying what it waited for.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::thread::JoinHandle;
use std::time::Duration;

use common::{
    bin, children, kill, marker, run_as_nobody, sleepers, text, wait_until, watchdog, Watchdog,
};
use linux_raw_sys::general::{
    F_SETFD, SIGCHLD, SIGCONT, SIGHUP, SIGINT, SIGKILL, SIGSTOP, SIGTERM, SIGTSTP, SIGTTIN,
    SIGTTOU, SIGUSR1, SIGUSR2,
};

/// Deadline of every wait, in seconds.
const T: u64 = 20;

/// `ns-tool ARGS...`.
fn ns_tool(args: &[&str]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args(args);
    cmd
}

/// Run `ns-tool ARGS...` to the end, with the default signal actions and
/// no terminal on stdin; its status and output.
fn output(args: &[&str]) -> std::process::Output {
    default_signals(&mut ns_tool(args))
        .stdin(Stdio::null())
        .output()
        .expect("spawn ns-tool")
}

/// A running ns-tool: its stdout line by line, its stderr whole at the end.
struct Running {
    child: Child,
    lines: Receiver<String>,
    err: Option<JoinHandle<String>>,
    _dog: Watchdog,
}

impl Running {
    /// Start `cmd` (stdin from /dev/null: no terminal) under a watchdog.
    fn start(cmd: &mut Command) -> Running {
        let mut child = default_signals(cmd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
        let dog = watchdog(child.id(), 60);
        let out = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let err = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        Running {
            child,
            lines,
            err: Some(err),
            _dog: dog,
        }
    }

    /// Start `cmd` and wait for COMMAND's "ready".
    fn ready(cmd: &mut Command) -> Running {
        let mut r = Running::start(cmd);
        r.expect("ready");
        r
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// COMMAND's next line of output, or None at its end.
    fn line(&mut self) -> Option<String> {
        self.line_for("a line")
    }

    /// COMMAND's next line, which should be `what` (for the message if
    /// none comes), or None at its end.
    fn line_for(&mut self, what: &str) -> Option<String> {
        match self.lines.recv_timeout(Duration::from_secs(T)) {
            Ok(line) => Some(line),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => None,
            Err(e) => panic!("no line from COMMAND within {T} s ({e}): waited for {what}"),
        }
    }

    /// The next line must be `want`.
    fn expect(&mut self, want: &str) {
        let got = self.line_for(want);
        assert_eq!(got.as_deref(), Some(want), "COMMAND's next line");
    }

    /// Wait for ns-tool to exit: its status, the rest of stdout's lines,
    /// and all of stderr.
    fn finish(mut self) -> (Option<i32>, Vec<String>, String) {
        let mut rest = Vec::new();
        while let Some(line) = self.line() {
            rest.push(line);
        }
        let status = self.child.wait().unwrap();
        let err = self.err.take().unwrap().join().unwrap();
        (status.code(), rest, err)
    }

    /// The one child of ns-tool: COMMAND.
    fn command(&self) -> u32 {
        let mut found = Vec::new();
        assert!(
            wait_until(T, || {
                found = children(self.pid());
                found.len() == 1
            }),
            "ns-tool {} has one child, COMMAND: {found:?}",
            self.pid()
        );
        found[0]
    }
}

/// Start `cmd` with every signal at its default action: ns-tool neither
/// waits for nor passes on the signals its caller ignored, and these
/// tests may run under `nohup` or as a background job (SIGHUP, SIGINT
/// and SIGQUIT ignored).
fn default_signals(cmd: &mut Command) -> &mut Command {
    // SAFETY: rt_sigaction is async-signal-safe; the struct is the
    // kernel's (handler SIG_DFL = 0, flags, restorer, mask).
    unsafe {
        cmd.pre_exec(|| {
            for sig in 1..32 {
                if sig != SIGKILL && sig != SIGSTOP {
                    let act = [0usize; 4];
                    let _ = syscalls::syscall4(
                        syscalls::Sysno::rt_sigaction,
                        sig as usize,
                        act.as_ptr() as usize,
                        0,
                        8,
                    );
                }
            }
            Ok(())
        })
    }
}

impl Drop for Running {
    /// A failed test leaves nothing behind: kill ns-tool (its COMMAND
    /// dies with it, by PR_SET_PDEATHSIG), even a stopped one.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The value of `key` in /proc/PID/status, if the process is there.
fn status_field(pid: u32, key: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .map(|v| v.trim().to_string())
}

fn sigmask(pid: u32, key: &str) -> u64 {
    status_field(pid, key).map_or(0, |v| u64::from_str_radix(&v, 16).unwrap())
}

fn bit(sig: u32) -> u64 {
    1 << (sig - 1)
}

/// The state letter of /proc/PID/status ('S', 'R', 'Z', ...); None if
/// the process is gone (reaped).
fn state(pid: u32) -> Option<char> {
    status_field(pid, "State")?.chars().next()
}

fn ppid(pid: u32) -> Option<u32> {
    status_field(pid, "PPid")?.parse().ok()
}

/// The process group, field 5 of /proc/PID/stat.
fn pgrp(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(2)?.parse().ok()
}

/// The system call `pid` sleeps in (the first field of
/// /proc/PID/syscall), if it sleeps in one.
fn sleeps_in(pid: u32) -> Option<usize> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/syscall")).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// rt_sigtimedwait's number on this machine.
const SIGWAIT: usize = syscalls::Sysno::rt_sigtimedwait as usize;

/// Wait until `pid` sleeps in rt_sigtimedwait: a supervising ns-tool
/// that waits for its signals, which may now be sent without killing it.
/// (While it waits, the kernel shows its signals as unblocked in SigBlk.)
fn waits_for_signals(pid: u32) {
    assert!(
        wait_until(T, || state(pid) == Some('S')
            && sleeps_in(pid) == Some(SIGWAIT)),
        "process {pid} waits for signals in rt_sigtimedwait (state {:?}, system call {:?})",
        state(pid),
        sleeps_in(pid)
    );
}

/// After kill(pid, sig): wait until `pid` has taken `sig` (it is pending
/// no more) and sleeps again. kill(2) woke it before returning, so a
/// sleeping process without the signal pending has dealt with it and
/// gone back to waiting: had it died of it, or exited because of it, it
/// would be a zombie or gone, and this fails.
fn took_and_sleeps(pid: u32, sig: u32) {
    let pending = || (sigmask(pid, "SigPnd") | sigmask(pid, "ShdPnd")) & bit(sig) != 0;
    assert!(
        wait_until(T, || !pending() && state(pid) == Some('S')),
        "process {pid} took signal {sig} and sleeps again (state {:?})",
        state(pid)
    );
}

/// A temporary path of this test run.
fn temp(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ns-tool-init-{}-{tag}", std::process::id()))
}

/// A COMMAND that counts every signal it gets: it blocks all it can (all
/// but SIGKILL, SIGSTOP and the two glibc keeps for itself) and takes
/// them one at a time with sigwaitinfo, so that each queued real-time
/// signal is a line of its own (Python's handlers would merge them). It
/// writes the number of each, says "ready" once its mask is set, and
/// exits 0 after it has written the signal given as its argument.
const COUNTER: &str = "import os, signal, sys
last = int(sys.argv[1])
sigs = signal.valid_signals() - {signal.SIGKILL, signal.SIGSTOP}
signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
os.write(1, b'ready\\n')
while True:
    sig = signal.sigwaitinfo(sigs).si_signo
    os.write(1, b'%d\\n' % sig)
    if sig == last:
        sys.exit(0)
";

/// `ns-tool init OPTIONS -- python3 -c COUNTER LAST`.
fn counter(opts: &[&str], last: u32) -> Command {
    let last = last.to_string();
    let mut args = vec!["init"];
    args.extend(opts);
    args.extend(["--", "python3", "-c", COUNTER, &last]);
    ns_tool(&args)
}

#[test]
fn exit_status_is_commands() {
    for (script, code, err) in [
        ("exit 0", 0, ""),
        ("exit 3", 3, ""),
        ("exit 255", 255, ""),
        (
            "kill -TERM $$",
            143,
            "ns-tool: sh was killed by signal 15 (SIGTERM)\n",
        ),
        // As in a shell, a death by SIGINT is quiet.
        ("kill -INT $$", 130, ""),
        (
            "kill -KILL $$",
            137,
            "ns-tool: sh was killed by signal 9 (SIGKILL)\n",
        ),
    ] {
        let out = output(&["init", "--", "sh", "-c", script]);
        assert_eq!(out.status.code(), Some(code), "{script}: {out:?}");
        assert_eq!(text(&out.stderr), err, "{script}");
    }
}

#[test]
fn exec_failures_exit_127_and_126_with_one_line() {
    let plain = temp("not-executable");
    std::fs::write(&plain, "#!/bin/sh\necho ran\n").unwrap();
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o644)).unwrap();
    for (command, code, starts) in [
        (
            "ns-tool-no-such-command",
            127,
            "ns-tool: execve(ns-tool-no-such-command): No such file or directory (ENOENT)",
        ),
        (
            plain.to_str().unwrap(),
            126,
            &*format!(
                "ns-tool: execve({}): Permission denied (EACCES)",
                plain.display()
            ),
        ),
    ] {
        let out = output(&["init", "--", command]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{command}: {err}");
        assert_eq!(err.lines().count(), 1, "{command}: one line: {err:?}");
        assert!(err.starts_with(starts), "{command}: {err:?}");
        assert_eq!(text(&out.stdout), "", "{command}");
    }
    let _ = std::fs::remove_file(&plain);
}

#[test]
fn exit_zero_maps_the_statuses_named_and_no_other() {
    for (opts, script, code) in [
        (&["-e", "3"][..], "exit 3", 0),
        (&["-e", "3"], "exit 4", 4),
        (&["-e", "3"], "exit 0", 0),
        (&["--exit-zero", "3", "-e", "4"], "exit 4", 0),
        (&["--exit-zero=3", "-e", "4"], "exit 3", 0),
        (&["-e", "3", "-e", "4"], "exit 5", 5),
        (&["-e", "3", "-e", "4"], "exit 1", 1),
        (&["-e", "255"], "exit 255", 0),
        (&["-e", "143"], "exit 143", 0),
        (&["-e", "143"], "exit 142", 142),
        // As tini: the status of a death by signal, 128+N, maps too.
        (&["-e", "143"], "kill -TERM $$", 0),
    ] {
        let mut args = vec!["init"];
        args.extend(opts);
        args.extend(["--", "sh", "-c", script]);
        let out = output(&args);
        assert_eq!(out.status.code(), Some(code), "{opts:?} {script}: {out:?}");
    }
}

#[test]
fn subreaper_option_of_tini_is_accepted() {
    for opt in ["-s", "--subreaper"] {
        let out = output(&["init", opt, "--", "sh", "-c", "echo ran; exit 4"]);
        assert_eq!(out.status.code(), Some(4), "{opt}: {out:?}");
        assert_eq!(text(&out.stdout), "ran\n", "{opt}");
    }
}

#[test]
fn every_catchable_signal_reaches_command_once() {
    // The job-control signals (SIGTSTP, SIGTTIN, SIGTTOU, SIGCONT) have
    // rules of their own: next test. SIGCHLD is ns-tool's own.
    let mut sigs: Vec<u32> = (1..32)
        .filter(|s| {
            ![
                SIGKILL, SIGSTOP, SIGCHLD, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGTERM,
            ]
            .contains(s)
        })
        .collect();
    // Real-time signals: SIGRTMIN as glibc has it, one between, SIGRTMAX.
    sigs.extend([34, 40, 64]);
    let mut r = Running::ready(&mut counter(&[], SIGTERM));
    for &sig in &sigs {
        kill(r.pid(), sig);
        let got = r.line_for(&format!("signal {sig}, passed on to COMMAND"));
        assert_eq!(got, Some(sig.to_string()), "after signal {sig}");
    }
    // SIGCHLD tells ns-tool to reap: COMMAND does not get it.
    kill(r.pid(), SIGCHLD);
    took_and_sleeps(r.pid(), SIGCHLD);
    kill(r.pid(), SIGTERM);
    let (code, rest, err) = r.finish();
    assert_eq!(rest, ["15"], "once each, and no SIGCHLD: {err}");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err, "");
}

#[test]
fn stops_and_sigcont_reach_a_command_that_catches_them_and_nothing_stops() {
    // Sent to ns-tool alone, a stop goes on to COMMAND's group, as the
    // terminal would have sent it; COMMAND handles it and does not stop,
    // so neither does ns-tool. SIGCONT resumes the job: COMMAND gets one.
    let mut r = Running::ready(&mut counter(&[], SIGTERM));
    let command = r.command();
    for sig in [SIGTSTP, SIGTTIN, SIGTTOU, SIGCONT] {
        kill(r.pid(), sig);
        let got = r.line_for(&format!("signal {sig}, passed on to COMMAND"));
        assert_eq!(got, Some(sig.to_string()), "signal {sig}");
        took_and_sleeps(r.pid(), sig);
        // COMMAND handled it and sleeps again: not stopped.
        took_and_sleeps(command, sig);
    }
    kill(r.pid(), SIGTERM);
    let (code, rest, err) = r.finish();
    assert_eq!(rest, ["15"], "once each: {err}");
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn rewrite_passes_s_on_as_t() {
    for opt in [
        &["-r", "15:10"][..],
        &["--rewrite", "15:10"],
        &["--rewrite=15:10"],
    ] {
        let mut r = Running::ready(&mut counter(opt, SIGUSR2));
        kill(r.pid(), SIGTERM);
        assert_eq!(
            r.line().as_deref(),
            Some("10"),
            "{opt:?}: SIGTERM came as SIGUSR1"
        );
        // Others pass unchanged, and a rewritten one is not sent twice.
        kill(r.pid(), SIGHUP);
        assert_eq!(r.line().as_deref(), Some("1"), "{opt:?}: SIGHUP as it is");
        kill(r.pid(), SIGUSR2);
        let (code, rest, err) = r.finish();
        assert_eq!(rest, ["12"], "{opt:?}: {err}");
        assert_eq!(code, Some(0), "{opt:?}");
    }
}

#[test]
fn rewrite_applies_to_the_stop_signals_too() {
    // As in dumb-init, which rewrites every signal it passes on, and as
    // the help says (`-r S:T`, S from 1 to 64): `-r 20:0` drops SIGTSTP,
    // `-r 20:10` passes it on as SIGUSR1.
    for (opt, want) in [("20:10", Some("10")), ("20:0", None)] {
        let r = Running::ready(&mut counter(&["-r", opt], SIGUSR2));
        kill(r.pid(), SIGTSTP);
        took_and_sleeps(r.pid(), SIGTSTP);
        kill(r.pid(), SIGUSR2);
        let (code, rest, err) = r.finish();
        let mut expected: Vec<&str> = want.into_iter().collect();
        expected.push("12");
        assert_eq!(
            rest, expected,
            "-r {opt}: what COMMAND got for a SIGTSTP: {err}"
        );
        assert_eq!(code, Some(0), "-r {opt}");
    }
}

#[test]
fn rewrite_to_0_drops_the_signal() {
    // COMMAND catches everything: it would say so if SIGUSR1 came.
    let mut r = Running::ready(&mut counter(&["-r", "10:0", "-r", "1:0"], SIGUSR2));
    for sig in [SIGUSR1, SIGHUP] {
        kill(r.pid(), sig);
        took_and_sleeps(r.pid(), sig);
    }
    kill(r.pid(), SIGTERM);
    assert_eq!(
        r.line().as_deref(),
        Some("15"),
        "SIGUSR1 and SIGHUP dropped"
    );
    kill(r.pid(), SIGUSR2);
    let (code, rest, _) = r.finish();
    assert_eq!((code, rest), (Some(0), vec!["12".to_string()]));

    // A COMMAND that would die of it keeps running.
    let m = marker(1);
    let mut cmd = ns_tool(&["init", "-r", "10:0", "--", "sleep", &m]);
    let r = Running::start(&mut cmd);
    let command = r.command();
    waits_for_signals(r.pid());
    assert!(wait_until(T, || sleepers(&m) == [command]), "sleep runs");
    kill(r.pid(), SIGUSR1);
    took_and_sleeps(r.pid(), SIGUSR1);
    // Had ns-tool passed it on, the kill was done before ns-tool slept
    // again: sleep would be dying, not asleep with nothing pending.
    took_and_sleeps(command, SIGUSR1);
    kill(r.pid(), SIGTERM);
    let (code, _, err) = r.finish();
    assert_eq!(code, Some(143), "SIGTERM still passed on: {err}");
}

#[test]
fn a_command_stopped_and_continued_by_someone_else_leaves_ns_tool_working() {
    // No terminal, no job control: someone (a debugger, a person with
    // kill) stops COMMAND with SIGSTOP and continues it with SIGCONT. As
    // with tini or dumb-init, ns-tool must go on passing signals and
    // reaping. (At b424c85 ns-tool stops itself when COMMAND stops, and
    // stays stopped after COMMAND is continued: SIGTERM is never passed
    // on until someone continues ns-tool too.)
    let m = marker(8);
    let r = Running::start(&mut ns_tool(&["init", "--", "sleep", &m]));
    let command = r.command();
    waits_for_signals(r.pid());
    kill(command, SIGSTOP);
    assert!(
        wait_until(T, || state(command) == Some('T')),
        "COMMAND stopped"
    );
    // ns-tool has seen COMMAND stop (its SIGCHLD taken), whatever it did.
    assert!(
        wait_until(T, || sigmask(r.pid(), "ShdPnd") & bit(SIGCHLD) == 0
            && matches!(state(r.pid()), Some('S' | 'T'))),
        "ns-tool took the SIGCHLD of the stop"
    );
    kill(command, SIGCONT);
    assert!(
        wait_until(T, || state(command) == Some('S')),
        "COMMAND runs again"
    );
    kill(r.pid(), SIGTERM);
    assert!(
        wait_until(T, || state(command).is_none()),
        "SIGTERM reached COMMAND (ns-tool is in state {:?}, COMMAND {:?})",
        state(r.pid()),
        state(command)
    );
    let (code, _, err) = r.finish();
    assert_eq!(code, Some(143), "{err}");
}

/// A COMMAND that forks a grandchild (same process group), says
/// "ready" once both have their handlers, and writes "child N" or
/// "grandchild N" for each SIGTERM or SIGUSR1 either gets. The grandchild
/// ignores SIGUSR2; at SIGUSR2 COMMAND kills it and exits 0.
const FAMILY: &str = "import os, signal
role = b'child'
def h(sig, frame):
    os.write(1, b'%s %d\\n' % (role, sig))
    if sig == signal.SIGUSR2:
        os.kill(kid, signal.SIGKILL)
        os.waitpid(kid, 0)
        os._exit(0)
for s in (signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2):
    signal.signal(s, h)
r, w = os.pipe()
kid = os.fork()
if kid == 0:
    role = b'grandchild'
    signal.signal(signal.SIGUSR2, signal.SIG_IGN)
    os.close(r)
    os.close(w)
    while True:
        signal.pause()
os.close(w)
os.read(r, 1)
os.write(1, b'ready %d\\n' % kid)
while True:
    signal.pause()
";

/// Start FAMILY under `ns-tool init OPTS`; the grandchild's PID.
fn family(opts: &[&str]) -> (Running, u32) {
    let mut args = vec!["init"];
    args.extend(opts);
    args.extend(["--", "python3", "-c", FAMILY]);
    let mut r = Running::start(&mut ns_tool(&args));
    let ready = r.line().expect("ready");
    let kid = ready
        .strip_prefix("ready ")
        .expect("ready PID")
        .parse()
        .unwrap();
    (r, kid)
}

#[test]
fn command_leads_a_process_group_of_its_own_and_its_children_are_in_it() {
    let (r, kid) = family(&[]);
    let command = r.command();
    assert_eq!(pgrp(command), Some(command), "COMMAND leads its group");
    assert_eq!(pgrp(kid), Some(command), "the grandchild is in it");
    assert_ne!(pgrp(r.pid()), Some(command), "ns-tool is not");
    kill(r.pid(), SIGUSR2);
    let (code, rest, _) = r.finish();
    assert_eq!((code, rest), (Some(0), vec!["child 12".to_string()]));
}

#[test]
fn with_group_signals_reach_the_whole_process_group() {
    for opt in ["-g", "--group"] {
        let (mut r, _) = family(&[opt]);
        kill(r.pid(), SIGTERM);
        let first = r.line_for("child 15 or grandchild 15").unwrap();
        let second = r
            .line_for(&format!(
                "a second line, after {first:?}: SIGTERM for the whole group"
            ))
            .unwrap();
        let mut got = vec![first, second];
        got.sort();
        assert_eq!(got, ["child 15", "grandchild 15"], "{opt}");
        kill(r.pid(), SIGUSR2);
        let (code, rest, err) = r.finish();
        assert_eq!(rest, ["child 12"], "{opt}: once each: {err}");
        assert_eq!(code, Some(0), "{opt}");
    }
}

#[test]
fn without_group_signals_reach_command_alone() {
    let (mut r, kid) = family(&[]);
    kill(r.pid(), SIGTERM);
    assert_eq!(r.line().as_deref(), Some("child 15"));
    kill(r.pid(), SIGUSR1);
    assert_eq!(r.line().as_deref(), Some("child 10"));
    // Nothing reached the grandchild: it still sleeps with none pending.
    took_and_sleeps(kid, SIGTERM);
    kill(r.pid(), SIGUSR2);
    let (code, rest, err) = r.finish();
    assert_eq!(rest, ["child 12"], "the grandchild never spoke: {err}");
    assert_eq!(code, Some(0));
}

/// `ns-tool init -P` (or `--pause`), started by a shell that first leaves
/// a child behind (`child`, a shell script), so that it has something to
/// reap; with stdout to /dev/null (a child holding a pipe would keep it).
fn pause(opt: &str, child: &str) -> (Child, Watchdog) {
    let child = default_signals(&mut Command::new("sh"))
        .args(["-c", "sh -c \"$2\" & exec \"$0\" init \"$1\""])
        .arg(bin())
        .args([opt, child])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let dog = watchdog(child.id(), 60);
    (child, dog)
}

#[test]
fn pause_exits_0_on_sigterm_and_sigint() {
    for (opt, sig) in [("-P", SIGTERM), ("--pause", SIGINT), ("-P", SIGINT)] {
        let (child, _dog) = pause(opt, "exit 0");
        waits_for_signals(child.id());
        kill(child.id(), sig);
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{opt} {sig}: {out:?}");
        assert_eq!(text(&out.stderr), "", "{opt} {sig}");
    }
}

#[test]
fn pause_runs_on_at_sighup_and_sigusr1() {
    let (child, _dog) = pause("-P", "exit 0");
    let pid = child.id();
    waits_for_signals(pid);
    for sig in [SIGHUP, SIGUSR1, SIGUSR2] {
        kill(pid, sig);
        took_and_sleeps(pid, sig);
    }
    kill(pid, SIGTERM);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn pause_reaps_orphans() {
    // The shell's child waits until ns-tool waits for signals (it is a
    // subreaper by then), starts a sleep and exits: the sleep is orphaned.
    let m = marker(2);
    let script = format!(
        "until [ \"$(cut -d' ' -f1 /proc/$PPID/syscall)\" = {SIGWAIT} ]; do sleep 0.01; done; \
         sleep {m} & exit 0"
    );
    let (child, _dog) = pause("-P", &script);
    let pid = child.id();
    let mut found = Vec::new();
    assert!(
        wait_until(T, || {
            found = sleepers(&m);
            found.len() == 1
        }),
        "the orphan started: {found:?}"
    );
    let orphan = found[0];
    assert!(
        wait_until(T, || ppid(orphan) == Some(pid)),
        "the orphan's parent is ns-tool {pid}, not {:?}",
        ppid(orphan)
    );
    kill(orphan, SIGKILL);
    assert!(
        wait_until(T, || state(orphan).is_none()),
        "the orphan was reaped, not left a zombie (state {:?})",
        state(orphan)
    );
    assert!(
        wait_until(T, || children(pid).is_empty()),
        "the shell's child was reaped too"
    );
    kill(pid, SIGTERM);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn ns_tool_leaves_the_launch_directory_command_keeps_it() {
    let dir = temp("cwd");
    std::fs::create_dir_all(&dir).unwrap();
    let m = marker(3);
    let mut cmd = ns_tool(&["init", "--", "sleep", &m]);
    cmd.current_dir(&dir);
    let r = Running::start(&mut cmd);
    let command = r.command();
    let cwd = |pid: u32| std::fs::read_link(format!("/proc/{pid}/cwd")).ok();
    assert!(
        wait_until(T, || cwd(r.pid()).as_deref() == Some(Path::new("/"))),
        "ns-tool's working directory is /, not {:?}",
        cwd(r.pid())
    );
    assert_eq!(
        cwd(command),
        Some(dir.clone()),
        "COMMAND's is where it started"
    );
    kill(r.pid(), SIGTERM);
    let (code, _, _) = r.finish();
    assert_eq!(code, Some(143));
    let _ = std::fs::remove_dir(&dir);
}

#[test]
fn inherited_descriptors_stay_open_in_command_and_are_closed_in_ns_tool() {
    let file = temp("fd5");
    let f = std::fs::File::create(&file).unwrap();
    let raw = f.as_raw_fd();
    let m = marker(4);
    let mut cmd = ns_tool(&["init", "--", "sleep", &m]);
    // SAFETY: dup2 is async-signal-safe; it leaves the copy without
    // FD_CLOEXEC, as a caller's open descriptor would be.
    unsafe {
        cmd.pre_exec(move || {
            let err = |e: syscalls::Errno| std::io::Error::from_raw_os_error(e.into_raw());
            if raw == 5 {
                // dup2 onto itself would keep FD_CLOEXEC: clear it.
                syscalls::syscall3(syscalls::Sysno::fcntl, 5, F_SETFD as usize, 0).map_err(err)?;
            } else {
                syscalls::syscall2(syscalls::Sysno::dup2, raw as usize, 5).map_err(err)?;
            }
            Ok(())
        });
    }
    let r = Running::start(&mut cmd);
    drop(f);
    let command = r.command();
    let fds = |pid: u32| -> Vec<u32> {
        let mut v: Vec<u32> = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .map(|d| {
                d.flatten()
                    .filter_map(|e| e.file_name().to_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    assert!(
        wait_until(T, || fds(r.pid()) == [0, 1, 2]),
        "ns-tool holds only 0, 1 and 2, not {:?}",
        fds(r.pid())
    );
    assert_eq!(
        std::fs::read_link(format!("/proc/{command}/fd/5")).ok(),
        Some(file.clone()),
        "COMMAND has the caller's descriptor 5"
    );
    kill(r.pid(), SIGTERM);
    let (code, _, _) = r.finish();
    assert_eq!(code, Some(143));
    let _ = std::fs::remove_file(&file);
}

/// Run `sh -c 'LISTEN_PID=<value> exec ns-tool init -- sh -c ...'`, where
/// `value` is shell text ($$ is ns-tool's PID, since sh execs it), and
/// return (ns-tool's PID, COMMAND's PID, LISTEN_PID as COMMAND sees it).
fn listen_pid(value: &str) -> (String, String, String) {
    let script =
        format!("{value} exec \"$0\" init -- sh -c 'echo \"$PPID $$ [${{LISTEN_PID-unset}}]\"'");
    let out = Command::new("sh")
        .args(["-c", &script])
        .arg(bin())
        .env_remove("LISTEN_PID")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{value}: {out:?}");
    let words: Vec<String> = text(&out.stdout)
        .split_whitespace()
        .map(String::from)
        .collect();
    assert_eq!(words.len(), 3, "{value}: {words:?}");
    let listen = words[2].trim_start_matches('[').trim_end_matches(']');
    (words[0].clone(), words[1].clone(), listen.to_string())
}

#[test]
fn listen_pid_of_ns_tool_becomes_commands() {
    let (ns_tool, command, listen) = listen_pid("LISTEN_PID=$$");
    assert_ne!(ns_tool, command);
    assert_eq!(listen, command, "LISTEN_PID was ns-tool's ({ns_tool})");
}

#[test]
fn listen_pid_of_another_process_is_left_alone() {
    for (value, want) in [
        ("LISTEN_PID=1", Some("1")),
        ("LISTEN_PID=${$}0", None),
        ("LISTEN_PID=0$$", None),
        ("LISTEN_PID=", Some("")),
        ("", Some("unset")),
    ] {
        let (ns_tool, command, listen) = listen_pid(value);
        let want = match want {
            Some(w) => w.to_string(),
            None if value.ends_with('0') => format!("{ns_tool}0"),
            None => format!("0{ns_tool}"),
        };
        assert_eq!(
            listen, want,
            "{value:?} (ns-tool {ns_tool}, COMMAND {command})"
        );
    }
}

#[test]
fn orphans_come_to_ns_tool_and_are_reaped() {
    // ns-tool exits when COMMAND does (as tini): look while it runs.
    let m = marker(5);
    let script = format!(
        "trap 'exit 7' TERM; (sleep {m} >/dev/null 2>&1 &); echo ready; \
         while :; do sleep 0.05; done"
    );
    let r = Running::ready(&mut ns_tool(&[
        "--trace", "init", "--", "sh", "-c", &script,
    ]));
    let mut found = Vec::new();
    assert!(
        wait_until(T, || {
            found = sleepers(&m);
            found.len() == 1
        }),
        "{found:?}"
    );
    let orphan = found[0];
    assert!(
        wait_until(T, || ppid(orphan) == Some(r.pid())),
        "the double-forked sleep's parent is ns-tool {}, not {:?}",
        r.pid(),
        ppid(orphan)
    );
    kill(orphan, SIGKILL);
    assert!(
        wait_until(T, || state(orphan).is_none()),
        "reaped, not a zombie (state {:?})",
        state(orphan)
    );
    kill(r.pid(), SIGTERM);
    let (code, _, err) = r.finish();
    assert_eq!(code, Some(7), "{err}");
    let prctl: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("PR_SET_CHILD_SUBREAPER"))
        .collect();
    assert_eq!(prctl.len(), 1, "one prctl: {prctl:?}");
    assert!(
        prctl[0].contains("prctl(PR_SET_CHILD_SUBREAPER, 1) = 0"),
        "{}",
        prctl[0]
    );
}

#[test]
fn as_pid_1_of_a_pid_namespace_no_subreaper_status_passed_orphans_reaped() {
    let b = bin();
    let launchers: [&[&str]; 2] = [
        &["unshare", "--pid", "--fork"],
        &[b.to_str().unwrap(), "pid", "--"],
    ];
    for (i, launcher) in launchers.into_iter().enumerate() {
        let m = marker(6 + i as u32);
        let script = format!(
            "trap 'exit 7' TERM; (sleep {m} >/dev/null 2>&1 &); echo ready; \
             while :; do sleep 0.05; done"
        );
        let mut args = launcher[1..].to_vec();
        args.extend([
            b.to_str().unwrap(),
            "--trace",
            "init",
            "--",
            "sh",
            "-c",
            &script,
        ]);
        let mut cmd = Command::new(launcher[0]);
        cmd.args(&args);
        let r = Running::ready(&mut cmd);
        // ns-tool init: the launcher's child, in the new namespace.
        let mut init = 0;
        assert!(
            wait_until(T, || {
                init = children(r.pid())
                    .into_iter()
                    .find(|&c| {
                        std::fs::read_link(format!("/proc/{c}/exe")).is_ok_and(|e| e == b)
                            && status_field(c, "NSpid")
                                .is_some_and(|n| n.ends_with("\t1") || n.ends_with(" 1"))
                    })
                    .unwrap_or(0);
                init != 0
            }),
            "{launcher:?}: ns-tool init as PID 1 under {}",
            r.pid()
        );
        let mut found = Vec::new();
        assert!(
            wait_until(T, || {
                found = sleepers(&m);
                found.len() == 1
            }),
            "{launcher:?}: {found:?}"
        );
        let orphan = found[0];
        assert!(
            wait_until(T, || ppid(orphan) == Some(init)),
            "{launcher:?}: the orphan's parent is ns-tool {init}, not {:?}",
            ppid(orphan)
        );
        kill(orphan, SIGKILL);
        assert!(
            wait_until(T, || state(orphan).is_none()),
            "{launcher:?}: reaped, not a zombie ({:?})",
            state(orphan)
        );
        kill(init, SIGTERM);
        let (code, _, err) = r.finish();
        assert_eq!(code, Some(7), "{launcher:?}: COMMAND's status: {err}");
        assert!(
            err.contains("getpid() = 1 "),
            "{launcher:?}: ran as PID 1: {err}"
        );
        assert!(
            !err.contains("SUBREAPER"),
            "{launcher:?}: a PID 1 is no subreaper: {err}"
        );
    }
}

#[test]
fn as_nobody_init_works_without_privileges() {
    let script = "id -u; (sleep 0.01 &); exit 5";
    let out = run_as_nobody(&["--trace", "init", "--", "sh", "-c", script]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert_eq!(text(&out.stdout), "65534\n");
    assert!(
        err.contains("prctl(PR_SET_CHILD_SUBREAPER, 1) = 0"),
        "a subreaper needs no privilege: {err}"
    );
    assert!(err.contains("chdir(\"/\") = 0"), "{err}");
    assert!(!err.contains("EPERM"), "{err}");
    let out = run_as_nobody(&["init", "-e", "5", "--", "sh", "-c", "exit 5"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn pid_takes_the_same_relay_options() {
    let out = output(&["pid", "-e", "3", "--", "sh", "-c", "exit 3"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = output(&["pid", "--init", "-e", "3", "--", "sh", "-c", "exit 4"]);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    for mode in [&[][..], &["--init"]] {
        let mut opts = vec!["pid"];
        opts.extend(mode);
        opts.extend(["--rewrite", "15:10", "--", "python3", "-c", COUNTER, "12"]);
        let mut r = Running::ready(&mut ns_tool(&opts));
        kill(r.pid(), SIGTERM);
        assert_eq!(r.line().as_deref(), Some("10"), "pid {mode:?}: rewritten");
        kill(r.pid(), SIGUSR2);
        let (code, rest, err) = r.finish();
        assert_eq!(
            (code, rest),
            (Some(0), vec!["12".to_string()]),
            "{mode:?}: {err}"
        );
    }
}
