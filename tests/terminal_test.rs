//! ns-tool in a real terminal, driven as a person would: an interactive
//! bash on a pseudo-terminal (tests/common/pty.rs), keys typed in, the
//! screen, the terminal's modes and the processes' states read back.
//! Ctrl-C and resizes reach COMMAND once; Ctrl-Z, fg and bg work for any
//! COMMAND, full-screen ones included; a background reader stops instead
//! of spinning; `stty tostop` never stops ns-tool; interactive shells as
//! COMMAND exit cleanly. docs/signals.md gives the rules.

mod common;

use std::time::Duration;

use common::pty::{cpu_ticks, find_pids, proc_pgrp, proc_state, Pty, PROMPT};
use common::{bin, children, marker, wait_until};

const T: Duration = Duration::from_secs(10);

/// How COMMAND runs: as PID 1 (ns-tool outside), or as PID 2 under
/// `--init`.
const MODES: [&str; 2] = ["", "--init "];

/// A shell at its prompt, with `$NS` set to the ns-tool under test.
fn shell() -> Pty {
    let mut pty = Pty::shell();
    pty.run(&format!("NS={}", bin().display()), T);
    pty
}

/// Processes whose argv has `word`.
fn with_arg(word: &str) -> Vec<u32> {
    find_pids(|argv| argv.contains(&word.as_bytes()))
}

/// ns-tool processes (the ones the caller started, with `word` in their
/// command line).
fn ns_tools(word: &str) -> Vec<u32> {
    find_pids(|argv| {
        argv.first().is_some_and(|a| a.ends_with(b"ns-tool")) && argv.contains(&word.as_bytes())
    })
}

/// The shell's last job: the ns-tool it started, and that ns-tool's child
/// running `name` (COMMAND as PID 1, or ns-tool as PID 1 under --init).
fn job(pty: &mut Pty, name: &str) -> (u32, u32) {
    let ns_tool: u32 = pty.run("jobs -p %%", T).trim().parse().expect("a job");
    // Not the sentinel: that one stays in our PID namespace.
    let ours = std::fs::read_link("/proc/self/ns/pid").unwrap();
    let mut found = None;
    assert!(
        wait_until(5, || {
            found = children(ns_tool).into_iter().find(|&c| {
                let named = std::fs::read(format!("/proc/{c}/cmdline"))
                    .is_ok_and(|a| a.split(|&b| b == 0).next() == Some(name.as_bytes()));
                let inside =
                    std::fs::read_link(format!("/proc/{c}/ns/pid")).is_ok_and(|ns| ns != ours);
                named && inside
            });
            found.is_some()
        }),
        "{name} under ns-tool {ns_tool}"
    );
    (ns_tool, found.unwrap())
}

/// A file of lines a counting COMMAND appends to, one per signal.
struct Counts(std::path::PathBuf);

impl Counts {
    fn new(tag: &str) -> Counts {
        let path = std::env::temp_dir().join(format!("ns-tool-count-{}-{tag}", std::process::id()));
        std::fs::write(&path, "").unwrap();
        Counts(path)
    }

    /// A COMMAND (dash, as PID 1 or 2) that appends "INT" or "WINCH" per
    /// signal and prints READY. dash clears a pending signal before its
    /// trap runs, so none is lost while a trap runs.
    fn command(&self) -> String {
        let f = self.0.display();
        format!(
            "sh -c 'trap \"echo INT >>{f}\" INT; trap \"echo WINCH >>{f}\" WINCH; \
             echo READY; while :; do sleep 0.05; done'"
        )
    }

    /// How many lines say `what`, once no more have come for half a second
    /// (a duplicate would come within microseconds).
    fn settled(&self, what: &str) -> usize {
        let read = || std::fs::read_to_string(&self.0).unwrap_or_default();
        let mut last = read();
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let now = read();
            if now == last {
                return now.lines().filter(|l| *l == what).count();
            }
            last = now;
        }
    }
}

impl Counts {
    /// `settled`, once at least `n` lines say `what` (polled for up to
    /// ten seconds): a loaded machine may take longer than the half
    /// second `settled` waits before the first one comes.
    fn reaches(&self, what: &str, n: usize) -> usize {
        let count = || {
            std::fs::read_to_string(&self.0)
                .unwrap_or_default()
                .lines()
                .filter(|l| *l == what)
                .count()
        };
        wait_until(10, || count() >= n);
        self.settled(what)
    }
}

impl Drop for Counts {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn ctrl_c_and_resizes_reach_command_once() {
    // At 826b3f9 a Ctrl-C reached COMMAND twice (from the terminal, and
    // again from ns-tool; three times under --init), and two resizes gave
    // three SIGWINCHs.
    for mode in MODES {
        let counts = Counts::new(if mode.is_empty() { "pid1" } else { "init" });
        let mut pty = shell();
        pty.send(format!("$NS pid {mode}-- {}\r", counts.command()).as_bytes());
        pty.wait_for("READY\r\n", T).unwrap();
        pty.send(b"\x03");
        assert_eq!(counts.settled("INT"), 1, "{mode}Ctrl-C");
        pty.send(b"\x03");
        assert_eq!(
            counts.settled("INT"),
            2,
            "{mode}second Ctrl-C, and not killed"
        );
        pty.resize(30, 100);
        assert_eq!(counts.settled("WINCH"), 1, "{mode}first resize");
        pty.resize(24, 80);
        assert_eq!(counts.settled("WINCH"), 2, "{mode}second resize");
        pty.send(b"\x1c"); // Ctrl-\: dash ignores SIGQUIT, its sleep dies
        pty.send(b"exit\r");
        drop(pty);
    }
}

#[test]
fn ctrl_z_stops_command_and_ns_tool_and_fg_resumes_them() {
    // `clone` waits through the child's pidfd (waitid), stops included.
    for mode in MODES
        .iter()
        .map(|m| format!("pid {m}"))
        .chain(["clone ".into()])
    {
        let mode = mode.as_str();
        let mut pty = shell();
        pty.send(format!("$NS {mode}-- cat\r").as_bytes());
        let cat = pty
            .wait_foreground(|argv| argv == [&b"cat"[..]], T)
            .unwrap();
        pty.send(b"hello\r");
        pty.wait_for("hello\r\nhello\r\n", T).unwrap();
        pty.send(b"\x1a");
        pty.wait_for("Stopped", T).unwrap();
        pty.wait_for(PROMPT, T).unwrap();
        let name = if mode.contains("--init") {
            bin_name()
        } else {
            "cat".into()
        };
        let (ns_tool, _) = job(&mut pty, &name);
        assert!(
            wait_until(5, || proc_state(cat) == Some('T')),
            "{mode}cat is stopped, not running on behind a 'Stopped' job"
        );
        assert_eq!(proc_state(ns_tool), Some('T'), "{mode}ns-tool stopped");
        pty.send(b"fg\r");
        pty.wait_foreground(|argv| argv == [&b"cat"[..]], T)
            .unwrap();
        assert!(
            wait_until(5, || matches!(proc_state(cat), Some('S' | 'R'))),
            "{mode}cat runs again"
        );
        pty.send(b"again\r");
        pty.wait_for("again\r\nagain\r\n", T).unwrap();
        pty.send(b"\x04"); // Ctrl-D: end of input, cat exits 0
        pty.wait_for(PROMPT, T).unwrap();
        assert_eq!(pty.run("echo rc=$?", T), "rc=0", "{mode}");
        assert!(
            wait_until(5, || proc_state(ns_tool).is_none()
                && children(ns_tool).is_empty()),
            "{mode}nothing left, the sentinel included"
        );
    }
}

/// ns-tool's argv[0] as the shell runs it.
fn bin_name() -> String {
    bin().display().to_string()
}

#[test]
fn a_background_reader_stops_instead_of_spinning() {
    // At 826b3f9 `ns-tool pid -- cat &` spun at 96% CPU: the kernel drops
    // SIGTTIN for a PID 1, and the read restarts for ever.
    for mode in MODES {
        let mut pty = shell();
        pty.run(&format!("$NS pid {mode}-- cat &"), T);
        assert!(
            wait_until(5, || pty.run("jobs", T).contains("Stopped")),
            "{mode}the job shows as stopped"
        );
        let name = if mode.contains("--init") {
            bin_name()
        } else {
            "cat".into()
        };
        let (ns_tool, child) = job(&mut pty, &name);
        let cat = if mode.is_empty() {
            child
        } else {
            children(child)[0]
        };
        assert!(wait_until(5, || proc_state(cat) == Some('T')), "{mode}");
        assert_eq!(proc_state(ns_tool), Some('T'), "{mode}");
        let before = cpu_ticks(cat).unwrap();
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(
            cpu_ticks(cat),
            Some(before),
            "{mode}no CPU used while stopped"
        );
        // fg: it gets the terminal, reads, ends with the input.
        pty.send(b"fg\r");
        pty.wait_foreground(|argv| argv == [&b"cat"[..]], T)
            .unwrap();
        pty.send(b"line\r\x04");
        pty.wait_for("line\r\nline\r\n", T).unwrap();
        pty.wait_for(PROMPT, T).unwrap();
        assert_eq!(pty.run("echo rc=$?", T), "rc=0", "{mode}");
    }
}

#[test]
fn bg_resumes_a_stopped_job_in_the_background() {
    let mut pty = shell();
    let tag = marker(80);
    let f = std::env::temp_dir().join(format!("ns-tool-bg-{tag}"));
    pty.send(
        format!(
            "$NS pid -- sh -c 'while :; do date +%s%N >{}; sleep 0.05; done' {tag}\r",
            f.display()
        )
        .as_bytes(),
    );
    assert!(wait_until(5, || f.exists()));
    pty.send(b"\x1a");
    pty.wait_for("Stopped", T).unwrap();
    pty.wait_for(PROMPT, T).unwrap();
    let frozen = std::fs::read_to_string(&f).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(std::fs::read_to_string(&f).unwrap(), frozen, "stopped");
    pty.run("bg", T);
    assert!(
        wait_until(5, || std::fs::read_to_string(&f).unwrap() != frozen),
        "running again after bg"
    );
    assert!(pty.run("jobs", T).contains("Running"));
    let ns_tool = ns_tools(&tag)[0];
    assert!(wait_until(5, || matches!(
        proc_state(ns_tool),
        Some('S' | 'R')
    )));
    pty.run("kill %1", T);
    let _ = std::fs::remove_file(&f);
}

/// Run a full-screen program under ns-tool, stop it with Ctrl-Z, bring it
/// back with fg, and quit it with `quit`: it must survive and redraw, and
/// leave the terminal as it found it.
fn full_screen(mode: &str, program: &str, shows: &str, quit: &[u8]) {
    full_screen_under(&format!("pid {mode}"), program, shows, quit);
}

/// `full_screen` under `ns-tool {how}-- program` (`how`, e.g. "init ",
/// also names the case in messages).
fn full_screen_under(how: &str, program: &str, shows: &str, quit: &[u8]) {
    let mode = how;
    let mut pty = shell();
    pty.send(format!("$NS {how}-- {program}\r").as_bytes());
    pty.wait_screen(|s| s.contains(shows), T).unwrap();
    let name = program.split(' ').next().unwrap().as_bytes().to_vec();
    let pid = pty
        .wait_foreground(|argv| argv.first() == Some(&&name[..]), T)
        .unwrap();
    // A person looks before typing: less sets aside a Ctrl-Z that comes
    // while it is still drawing, until the next key.
    pty.settle(Duration::from_millis(300), T).unwrap();
    pty.send(b"\x1a");
    pty.wait_for("Stopped", T).unwrap();
    pty.wait_for(PROMPT, T).unwrap();
    assert!(
        wait_until(5, || proc_state(pid) == Some('T')),
        "{mode}{program} is stopped"
    );
    pty.send(b"fg\r");
    // bash names the job; then it redraws: its screen is back (and it still
    // answers keys).
    pty.wait_for(&format!("{program}\r\n"), T).unwrap();
    pty.wait_screen(|s| s.contains(shows) && !s.contains("Stopped"), T)
        .unwrap();
    pty.settle(Duration::from_millis(300), T).unwrap();
    assert!(pty.screen().contains(shows), "{mode}{program} redrew");
    pty.send(quit);
    pty.wait_for(PROMPT, T).unwrap();
    assert_eq!(pty.run("echo rc=$?", T), "rc=0", "{mode}{program}");
    // The terminal is as the shell left it: canonical mode and echo back.
    // (A sleep long enough to be seen on a loaded machine; Ctrl-C ends it.)
    pty.send(b"sleep 30\r");
    pty.wait_foreground(|argv| argv == [&b"sleep"[..], b"30"], T)
        .unwrap();
    let (icanon, echo, isig) = pty.termios_flags();
    assert!(
        icanon && echo && isig,
        "{mode}{program}: terminal modes restored"
    );
    pty.send(b"\x03");
    pty.wait_for(PROMPT, T).unwrap();
}

#[test]
fn less_survives_ctrl_z_and_fg() {
    for mode in MODES {
        full_screen(mode, "less /etc/services", "Network services", b"q");
    }
}

#[test]
fn vim_survives_ctrl_z_and_fg() {
    // vim reads Ctrl-Z as a key and stops its own group with kill(0, ...).
    for mode in MODES {
        full_screen(
            mode,
            "vim -u NONE -N /etc/services",
            "Network services",
            b":q\r",
        );
    }
}

#[test]
fn top_survives_ctrl_z_and_fg() {
    // At 826b3f9 top, as PID 1, died on Ctrl-Z.
    for mode in MODES {
        full_screen(mode, "top -d 1", "load average", b"q");
    }
}

/// A PID 1 whose SIGTSTP handler works for 150 ms (as a full-screen
/// program puts its terminal modes back), then waits for lines; `q` ends it.
const SLOW_TSTP_HANDLER: &str = "import signal, sys, time
def tstp(sig, frame):
    print('handler starts', flush=True)
    end = time.monotonic() + 0.15
    while time.monotonic() < end:
        pass
    print('handler ends', flush=True)
signal.signal(signal.SIGTSTP, tstp)
print('ready', flush=True)
for line in sys.stdin:
    if line.strip() == 'q':
        break
";

#[test]
fn ctrl_z_lets_a_pid_1_finish_its_handler_before_stopping_it() {
    // Before 2026-11-29 ns-tool stopped it half-way: less and top then
    // came back after `fg` with the shell's terminal modes and, now and
    // then, lost the next key.
    let script = std::env::temp_dir().join(format!("slow-tstp-{}.py", std::process::id()));
    std::fs::write(&script, SLOW_TSTP_HANDLER).unwrap();
    let mut pty = shell();
    pty.send(format!("$NS pid -- python3 {}\r", script.display()).as_bytes());
    pty.wait_for("ready", T).unwrap();
    pty.settle(Duration::from_millis(300), T).unwrap();
    pty.send(b"\x1a");
    pty.wait_for("handler starts", T).unwrap();
    pty.wait_for("handler ends", T).unwrap();
    // Only now, after the handler's last words, does the job stop.
    pty.wait_for("Stopped", T).unwrap();
    pty.wait_for(PROMPT, T).unwrap();
    // Back in the foreground it is asked to run the handler again (a
    // full-screen program redraws there), and still reads its input.
    pty.send(b"fg\r");
    pty.wait_for("handler ends", T).unwrap();
    pty.send(b"q\r");
    pty.wait_for(PROMPT, T).unwrap();
    assert_eq!(pty.run("echo rc=$?", T), "rc=0");
    let _ = std::fs::remove_file(&script);
}

#[test]
fn ctrl_c_twice_does_not_kill_a_program_that_handles_it() {
    // At 826b3f9 the second Ctrl-C killed less with SIGKILL and left the
    // terminal in -icanon -echo.
    let mut pty = shell();
    pty.send(b"$NS pid -- less /etc/services\r");
    pty.wait_screen(|s| s.contains("Network services"), T)
        .unwrap();
    let less = pty
        .wait_foreground(|argv| argv.first() == Some(&&b"less"[..]), T)
        .unwrap();
    for _ in 0..3 {
        pty.send(b"\x03");
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(
        matches!(proc_state(less), Some('S' | 'R')),
        "less still runs"
    );
    pty.send(b"q");
    pty.wait_for(PROMPT, T).unwrap();
    assert_eq!(pty.run("echo rc=$?", T), "rc=0");
    assert!(!pty.output().contains("killed the namespace"));
}

#[test]
fn ctrl_c_twice_ends_a_pid_1_without_handler() {
    let mut pty = shell();
    let tag = marker(90);
    pty.send(format!("$NS pid -- sleep {tag}\r").as_bytes());
    let sleep = pty
        .wait_foreground(|argv| argv == [&b"sleep"[..], tag.as_bytes()], T)
        .unwrap();
    pty.send(b"\x03");
    pty.wait_for("press Ctrl-C again to kill the namespace", T)
        .unwrap();
    assert!(
        matches!(proc_state(sleep), Some('S' | 'R')),
        "dropped by the kernel: still running"
    );
    pty.send(b"\x03");
    pty.wait_for("SIGINT again: killed the namespace", T)
        .unwrap();
    pty.wait_for(PROMPT, T).unwrap();
    assert_eq!(pty.run("echo rc=$?", T), "rc=137");
}

#[test]
fn under_init_ctrl_c_ends_command_quietly() {
    // As in a shell: no line for a death by SIGINT (at 826b3f9 each Ctrl-C
    // printed "sleep was killed by signal 2").
    let mut pty = shell();
    let tag = marker(91);
    pty.send(format!("$NS pid --init -- sleep {tag}\r").as_bytes());
    pty.wait_foreground(|argv| argv == [&b"sleep"[..], tag.as_bytes()], T)
        .unwrap();
    pty.send(b"\x03");
    pty.wait_for(PROMPT, T).unwrap();
    assert_eq!(pty.run("echo rc=$?", T), "rc=130");
    assert!(
        !pty.output().contains("killed by signal"),
        "{}",
        pty.output()
    );
}

#[test]
fn with_tostop_ns_tool_passes_sigterm_on_and_never_stops() {
    // At 826b3f9 the explanation line was written before the kill; under
    // `stty tostop` that write stopped ns-tool, and SIGTERM never arrived.
    let mut pty = shell();
    let tag = marker(92);
    let f = std::env::temp_dir().join(format!("ns-tool-tostop-{tag}"));
    let ready = f.with_extension("ready");
    pty.run("stty tostop", T);
    // A service that handles TERM (writing to a file, not the terminal).
    // It says when its trap is set: until then, as PID 1 without handler,
    // it would drop the SIGTERM (three processes with the tag, the count
    // waited for before, exist as soon as ns-tool has forked, before exec).
    pty.run(
        &format!(
            "$NS pid -- sh -c 'trap \"echo got >{}; exit 3\" TERM; : >{}; \
             while :; do sleep .1; done' {tag} &",
            f.display(),
            ready.display()
        ),
        T,
    );
    assert!(wait_until(5, || ready.exists()), "COMMAND set its trap");
    let _ = std::fs::remove_file(&ready);
    let ns_tool = ns_tools(&tag)[0];
    pty.run(&format!("kill -TERM {ns_tool}"), T);
    assert!(wait_until(5, || f.exists()), "COMMAND got SIGTERM");
    assert!(pty.run("wait %1; echo rc=$?", T).ends_with("rc=3"));
    // A PID 1 without handler: ns-tool writes its explanation from the
    // background, under tostop, and is not stopped for it.
    let tag = marker(93);
    pty.run(&format!("$NS pid -- sleep {tag} &"), T);
    assert!(wait_until(5, || with_arg(&tag).len() >= 3));
    let ns_tool = ns_tools(&tag)[0];
    pty.run(&format!("kill -TERM {ns_tool}"), T);
    pty.wait_screen(|s| s.contains("send it again to kill the namespace"), T)
        .unwrap();
    assert!(
        matches!(proc_state(ns_tool), Some('S' | 'R')),
        "not stopped"
    );
    pty.run(&format!("kill -TERM {ns_tool}"), T);
    assert!(pty.run("wait %1; echo rc=$?", T).ends_with("rc=137"));
    pty.run("stty -tostop", T);
    let _ = std::fs::remove_file(&f);
}

#[test]
fn interactive_shells_as_command_exit_cleanly() {
    // At 826b3f9 `dash -i` could not give the terminal back to a process
    // group it could not see (it read as 0) and exited 2: "Cannot set tty
    // process group".
    for mode in MODES {
        for sh in ["dash -i", "bash --norc --noprofile -i"] {
            let mut pty = shell();
            // (Quoted so that the echoed command line does not hold the
            // prompt waited for.)
            pty.send(format!("PS1='i''n$ ' $NS pid {mode}-- {sh}\r").as_bytes());
            pty.wait_for("in$ ", T).unwrap();
            pty.send(b"echo inside=$$\r");
            let pid = if mode.is_empty() { "1" } else { "2" };
            pty.wait_for(&format!("inside={pid}"), T).unwrap();
            job_control_inside_then_exit_0(&mut pty, &format!("{mode}{sh}"));
        }
    }
}

/// In an interactive shell ns-tool runs (prompt `in$ `): Ctrl-Z and `fg`
/// work on a job there, then `exit 0` ends ns-tool with 0 and no "Cannot
/// set tty process group" (dash's complaint when it cannot take the
/// terminal).
fn job_control_inside_then_exit_0(pty: &mut Pty, what: &str) {
    pty.send(b"sleep 30\r");
    pty.wait_foreground(|argv| argv == [&b"sleep"[..], b"30"], T)
        .unwrap();
    pty.send(b"\x1a");
    pty.wait_for("Stopped", T).unwrap();
    pty.wait_for("in$ ", T).unwrap();
    pty.send(b"fg\r");
    pty.wait_foreground(|argv| argv == [&b"sleep"[..], b"30"], T)
        .unwrap();
    pty.send(b"\x03");
    pty.wait_for("in$ ", T).unwrap();
    pty.send(b"exit 0\r");
    pty.wait_for(PROMPT, T).unwrap();
    let out = pty.run("echo rc=$?", T);
    assert_eq!(out, "rc=0", "{what}: {}", pty.output());
    assert!(
        !pty.output().contains("Cannot set tty process group"),
        "{what}"
    );
}

// `ns-tool init`: no namespace, COMMAND in a process group of its own
// that gets the terminal; ns-tool hands it over and takes it back.

#[test]
fn init_command_interactive_shells_exit_cleanly() {
    for sh in ["dash -i", "bash --norc --noprofile -i"] {
        let mut pty = shell();
        pty.send(format!("PS1='i''n$ ' $NS init -- {sh}\r").as_bytes());
        pty.wait_for("in$ ", T).unwrap();
        // The shell has the terminal, in the group ns-tool made for it,
        // which it leads.
        let name = sh.split(' ').next().unwrap().as_bytes();
        let inner = pty
            .wait_foreground(
                |argv| argv.first() == Some(&name) && argv.last() == Some(&&b"-i"[..]),
                T,
            )
            .unwrap();
        assert_eq!(
            pty.foreground_pgrp(),
            inner as i32,
            "{sh} leads the foreground group"
        );
        assert_eq!(proc_pgrp(inner), Some(inner as i32), "{sh}");
        job_control_inside_then_exit_0(&mut pty, &format!("init {sh}"));
        // The terminal is the outer shell's again: it reads a line.
        assert_eq!(pty.run("read x <<<typed; echo $x", T), "typed");
    }
}

#[test]
fn init_command_ctrl_c_and_resizes_reach_command_once() {
    let counts = Counts::new("init-only");
    let mut pty = shell();
    pty.send(format!("$NS init -- {}\r", counts.command()).as_bytes());
    pty.wait_for("READY\r\n", T).unwrap();
    for n in 1..=3 {
        pty.send(b"\x03");
        assert_eq!(counts.reaches("INT", n), n, "Ctrl-C number {n}, once each");
    }
    pty.resize(30, 100);
    assert_eq!(counts.reaches("WINCH", 1), 1, "first resize");
    pty.resize(24, 80);
    assert_eq!(counts.reaches("WINCH", 2), 2, "second resize");
    pty.send(b"\x1c"); // Ctrl-\: dash ignores SIGQUIT, its sleep dies
    drop(pty);
}

/// The shell's last job under `ns-tool init`: ns-tool, and its one child,
/// COMMAND.
fn init_job(pty: &mut Pty) -> (u32, u32) {
    let ns_tool: u32 = pty.run("jobs -p %%", T).trim().parse().expect("a job");
    let mut found = Vec::new();
    assert!(
        wait_until(5, || {
            found = children(ns_tool);
            found.len() == 1
        }),
        "ns-tool {ns_tool} has one child, COMMAND: {found:?}"
    );
    (ns_tool, found[0])
}

#[test]
fn init_command_ctrl_z_stops_cat_and_ns_tool_and_fg_resumes_them() {
    let mut pty = shell();
    pty.send(b"$NS init -- cat\r");
    let cat = pty
        .wait_foreground(|argv| argv == [&b"cat"[..]], T)
        .unwrap();
    pty.send(b"hello\r");
    pty.wait_for("hello\r\nhello\r\n", T).unwrap();
    for round in 0..2 {
        pty.send(b"\x1a");
        pty.wait_for("Stopped", T).unwrap();
        pty.wait_for(PROMPT, T).unwrap();
        let (ns_tool, child) = init_job(&mut pty);
        assert_eq!(child, cat, "cat is ns-tool's child");
        assert!(
            wait_until(5, || proc_state(cat) == Some('T')),
            "round {round}: cat is stopped"
        );
        assert!(
            wait_until(5, || proc_state(ns_tool) == Some('T')),
            "round {round}: ns-tool is stopped with it"
        );
        pty.send(b"fg\r");
        pty.wait_foreground(|argv| argv == [&b"cat"[..]], T)
            .unwrap();
        assert!(
            wait_until(5, || matches!(proc_state(cat), Some('S' | 'R'))),
            "round {round}: cat runs again"
        );
        assert!(
            wait_until(5, || matches!(proc_state(ns_tool), Some('S' | 'R'))),
            "round {round}: ns-tool runs again"
        );
        pty.send(format!("again{round}\r").as_bytes());
        pty.wait_for(&format!("again{round}\r\nagain{round}\r\n"), T)
            .unwrap();
    }
    pty.send(b"\x04"); // Ctrl-D: end of input, cat exits 0
    pty.wait_for(PROMPT, T).unwrap();
    assert_eq!(pty.run("echo rc=$?", T), "rc=0");
}

#[test]
fn init_command_less_survives_ctrl_z_and_fg() {
    full_screen_under("init ", "less /etc/services", "Network services", b"q");
}

#[test]
fn init_command_a_background_reader_stops_and_fg_lets_it_read() {
    let mut pty = shell();
    pty.run("$NS init -- cat &", T);
    assert!(
        wait_until(5, || pty.run("jobs", T).contains("Stopped")),
        "the job shows as stopped"
    );
    let (ns_tool, cat) = init_job(&mut pty);
    assert!(wait_until(5, || proc_state(cat) == Some('T')));
    assert_eq!(proc_state(ns_tool), Some('T'));
    pty.send(b"fg\r");
    pty.wait_foreground(|argv| argv == [&b"cat"[..]], T)
        .unwrap();
    pty.send(b"line\r\x04");
    pty.wait_for("line\r\nline\r\n", T).unwrap();
    pty.wait_for(PROMPT, T).unwrap();
    assert_eq!(pty.run("echo rc=$?", T), "rc=0");
}

#[test]
fn init_command_ns_tool_never_stops_handing_the_terminal_over_and_back() {
    // Once COMMAND has the terminal, ns-tool is in the background: taking
    // the terminal back (tcsetpgrp) would raise SIGTTOU, and so, under
    // `stty tostop`, would writing its messages or its trace. It keeps
    // SIGTTOU and SIGTTIN blocked: none of this stops it.
    let mut pty = shell();
    for tostop in ["-tostop", "tostop"] {
        pty.run(&format!("stty {tostop}"), T);
        for (cmd, rc, says) in [
            ("$NS init -- sh -c 'exit 3'", 3, ""),
            (
                "$NS init -- sh -c 'kill -TERM $$'",
                143,
                "ns-tool: sh was killed by signal 15 (SIGTERM)",
            ),
            ("$NS --trace init -- true", 0, "exit_group(0)"),
            ("$NS init -e 5 -- sh -c 'read x; exit $x'", 0, ""),
        ] {
            pty.send(format!("{cmd}\r").as_bytes());
            if cmd.contains("read x") {
                pty.wait_foreground(|argv| argv.first() == Some(&&b"sh"[..]), T)
                    .unwrap();
                pty.send(b"5\r");
            }
            pty.wait_for(PROMPT, T)
                .unwrap_or_else(|e| panic!("{tostop} {cmd}: {e}"));
            let out = pty.run("echo rc=$?", T);
            assert_eq!(out, format!("rc={rc}"), "{tostop} {cmd}: {}", pty.output());
            assert!(pty.output().contains(says), "{tostop} {cmd}");
            assert!(
                !pty.output().contains("Stopped"),
                "{tostop} {cmd}: ns-tool stopped: {}",
                pty.output()
            );
            // The shell has the terminal back: it reads.
            assert_eq!(pty.run("read x <<<back; echo $x", T), "back");
        }
    }
    pty.run("stty -tostop", T);
}

#[test]
fn init_command_gives_the_terminal_back_to_the_script_that_ran_it() {
    // A script has no job control: it stays in the group the shell made
    // for it, which ns-tool found in the foreground and handed over to
    // COMMAND's. Unless ns-tool takes the terminal back, the script's next
    // read is from the background: SIGTTIN stops it.
    let mut pty = shell();
    pty.send(
        b"sh -c '\"$0\" init -- true; \"$0\" init -- sh -c \"exit 4\"; echo read''ing; \
          read x; echo got=$x' $NS\r",
    );
    // (Quoted so that the echoed command line does not hold it.)
    pty.wait_for("reading", T).unwrap();
    pty.send(b"typed\r");
    pty.wait_for("got=typed", T)
        .unwrap_or_else(|e| panic!("the script read its line: {e}"));
    pty.wait_for(PROMPT, T).unwrap();
    assert_eq!(pty.run("echo rc=$?", T), "rc=0");
    assert!(!pty.output().contains("Stopped"), "{}", pty.output());
}
