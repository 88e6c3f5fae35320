//! Signals sent with kill(2), on the host: each reaches COMMAND once; a
//! second one kills only when PID 1 would drop it; signals the caller
//! ignored stay ignored; SIGCHLD ignored by the caller does not hang
//! ns-tool; COMMAND is found and run as execvp(3) does; and the messages
//! follow the shells'. Terminal behaviour (Ctrl-C, Ctrl-Z, resizes) is in
//! terminal_test.rs. docs/signals.md gives the rules.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use common::{bin, kill, marker, run, sleepers, text, wait_until, watchdog, Watchdog};
use linux_raw_sys::general::{
    SIGALRM, SIGCHLD, SIGHUP, SIGINT, SIGKILL, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
};

/// A COMMAND that says "got SIG" for each signal it receives (its traps
/// are handlers, so even as PID 1 it gets them), "ready" once the traps
/// are set, and exits 0 on SIGUSR2.
const COUNTER: &str =
    "for s in HUP INT QUIT TERM USR1 WINCH ALRM; do trap \"echo got $s\" $s; done; \
                       trap 'echo bye; exit 0' USR2; echo ready; while :; do sleep 0.05; done";

struct Running {
    child: Child,
    out: BufReader<ChildStdout>,
    _dog: Watchdog,
}

/// Start `ns-tool ARGS...` under a 30 s watchdog and wait for "ready".
fn start(cmd: &mut Command) -> Running {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ns-tool");
    let dog = watchdog(child.id(), 30);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "EOF before ready");
        if line.trim_end() == "ready" {
            break;
        }
    }
    Running {
        child,
        out,
        _dog: dog,
    }
}

fn ns_tool(args: &[&str]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args(args);
    cmd
}

fn counter(mode: &[&str]) -> Command {
    let mut args = vec!["pid"];
    args.extend(mode);
    args.extend(["--", "sh", "-c", COUNTER]);
    ns_tool(&args)
}

/// Send `sigs` to ns-tool one at a time (standard signals do not queue),
/// end COMMAND with SIGUSR2, and return its lines and ns-tool's status
/// and stderr.
fn send_and_finish(mut r: Running, sigs: &[u32]) -> (Vec<String>, Option<i32>, String) {
    for &sig in sigs {
        kill(r.child.id(), sig);
        std::thread::sleep(Duration::from_millis(250));
    }
    kill(r.child.id(), SIGUSR2);
    let mut rest = String::new();
    r.out.read_to_string(&mut rest).unwrap();
    let status = r.child.wait().unwrap();
    let mut err = String::new();
    r.child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (rest.lines().map(String::from).collect(), status.code(), err)
}

/// Modes in which COMMAND is PID 1 (with ns-tool outside), PID 2 (ns-tool
/// is PID 1), and three namespaces deep.
const MODES: [&[&str]; 3] = [&[], &["--init"], &["--nest", "3"]];

#[test]
fn each_signal_reaches_command_once() {
    for mode in MODES {
        let r = start(&mut counter(mode));
        let (lines, code, err) = send_and_finish(r, &[SIGTERM, SIGHUP, SIGUSR1, SIGINT]);
        assert_eq!(
            lines,
            ["got TERM", "got HUP", "got USR1", "got INT", "bye"],
            "{mode:?}: {err}"
        );
        assert_eq!(code, Some(0), "{mode:?}");
        assert_eq!(err, "", "{mode:?}");
    }
}

#[test]
fn a_service_that_handles_hup_survives_any_number_of_them() {
    // At 826b3f9 the second HUP killed the namespace (exit 137), with
    // --init too, although PID 1 handled the first.
    for mode in MODES {
        let r = start(&mut counter(mode));
        let (lines, code, err) = send_and_finish(r, &[SIGHUP, SIGHUP, SIGHUP, SIGTERM, SIGTERM]);
        assert_eq!(
            lines,
            ["got HUP", "got HUP", "got HUP", "got TERM", "got TERM", "bye"],
            "{mode:?}"
        );
        assert_eq!(code, Some(0), "{mode:?}: {err}");
        assert_eq!(err, "", "{mode:?}");
    }
}

#[test]
fn a_pid_1_without_handler_is_killed_by_the_second_terminating_signal() {
    for (mode, sig) in [
        (&[][..], SIGTERM),
        (&[][..], SIGINT),
        (&["--nest", "2"][..], SIGTERM),
    ] {
        let m = marker(10 + sig);
        let mut args = vec!["pid"];
        args.extend(mode);
        args.extend(["--", "sleep", &m]);
        let child = ns_tool(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _dog = watchdog(child.id(), 20);
        assert!(wait_until(5, || sleepers(&m).len() == 1), "sleep started");
        kill(child.id(), sig);
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(sleepers(&m).len(), 1, "{mode:?}: PID 1 dropped the first");
        kill(child.id(), sig);
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(137), "{mode:?}: {out:?}");
        let name = if sig == SIGTERM { "SIGTERM" } else { "SIGINT" };
        assert_eq!(
            text(&out.stderr),
            format!(
                "ns-tool: sleep is PID 1 of its namespace and has no handler for {name}, so the \
                 kernel dropped it; send it again to kill the namespace\n\
                 ns-tool: {name} again: killed the namespace (SIGKILL to sleep, its PID 1)\n"
            ),
            "{mode:?}: said after acting, and no 'killed by signal 9' blaming sleep"
        );
        assert!(wait_until(5, || sleepers(&m).is_empty()));
    }
}

#[test]
fn under_init_no_signal_is_escalated() {
    // COMMAND is PID 2: the kernel does not drop its signals, so ns-tool
    // never needs to kill anything.
    let r = start(&mut counter(&["--init"]));
    let (lines, code, _) = send_and_finish(r, &[SIGINT, SIGINT, SIGINT]);
    assert_eq!(lines, ["got INT", "got INT", "got INT", "bye"]);
    assert_eq!(code, Some(0));
}

/// A Command whose process ignores `sigs` (SIG_IGN survives exec), as
/// `nohup` (SIGHUP) and a shell's `cmd &` (SIGINT, SIGQUIT) leave it.
fn ignoring(mut cmd: Command, sigs: &'static [u32]) -> Command {
    // SAFETY: rt_sigaction is async-signal-safe; the struct is the
    // kernel's (handler SIG_IGN = 1, flags, restorer, mask).
    unsafe {
        cmd.pre_exec(move || {
            for &sig in sigs {
                let act = [1usize, 0, 0, 0];
                syscalls::syscall4(
                    syscalls::Sysno::rt_sigaction,
                    sig as usize,
                    act.as_ptr() as usize,
                    0,
                    8,
                )
                .map_err(|e| std::io::Error::from_raw_os_error(e.into_raw()))?;
            }
            Ok(())
        });
    }
    cmd
}

#[test]
fn signals_the_caller_ignored_stay_ignored() {
    for mode in MODES {
        let mut args = vec!["pid"];
        args.extend(mode);
        args.extend([
            "--",
            "sh",
            "-c",
            "grep SigIgn /proc/self/status; echo ready; sleep 1; echo done",
        ]);
        let mut cmd = ignoring(ns_tool(&args), &[SIGHUP, SIGINT, SIGQUIT]);
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _dog = watchdog(child.id(), 20);
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut sig_ign = String::new();
        out.read_line(&mut sig_ign).unwrap();
        let mut ready = String::new();
        out.read_line(&mut ready).unwrap();
        assert_eq!(ready, "ready\n", "{mode:?}");
        // At 826b3f9 these were queued although ignored, passed on, and
        // the second one killed the namespace.
        for sig in [SIGINT, SIGINT, SIGHUP, SIGHUP, SIGQUIT] {
            kill(child.id(), sig);
        }
        let mut rest = String::new();
        out.read_to_string(&mut rest).unwrap();
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{mode:?}: {output:?}");
        assert_eq!(rest, "done\n", "{mode:?}");
        assert_eq!(text(&output.stderr), "", "{mode:?}");
        // COMMAND inherits them ignored: HUP, INT and QUIT are bits 0-2.
        let bits = u64::from_str_radix(sig_ign.trim().trim_start_matches("SigIgn:\t"), 16)
            .unwrap_or_else(|_| panic!("{sig_ign:?}"));
        assert_eq!(bits & 0b111, 0b111, "{mode:?}: {sig_ign}");
    }
}

#[test]
fn started_with_sigchld_ignored_it_still_returns() {
    // With SIGCHLD ignored the kernel sends no SIGCHLD at all: at 826b3f9
    // ns-tool waited for one forever.
    for mode in MODES {
        let mut args = vec!["pid"];
        args.extend(mode);
        args.extend(["--", "grep", "SigIgn", "/proc/self/status"]);
        let mut child = ignoring(ns_tool(&args), &[SIGCHLD])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let dog = watchdog(child.id(), 10);
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let status = child.wait().unwrap();
        drop(dog);
        assert_eq!(status.code(), Some(0), "{mode:?}: hung and was killed?");
        // And COMMAND inherits SIGCHLD ignored, as it would without us.
        let bits = u64::from_str_radix(out.trim().trim_start_matches("SigIgn:\t"), 16).unwrap();
        assert_ne!(bits & 1 << (SIGCHLD - 1), 0, "{mode:?}: {out}");
    }
    // The demonstration too.
    let mut child = ignoring(ns_tool(&["pid"]), &[SIGCHLD])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let _dog = watchdog(child.id(), 10);
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn as_nobody_with_a_user_namespace_signals_arrive_once() {
    let copy = common::world_executable_copy("signals");
    let mut cmd = Command::new(&copy);
    cmd.args(["pid", "--user", "--", "sh", "-c", COUNTER])
        .uid(65534)
        .gid(65534);
    let r = start(&mut cmd);
    let (lines, code, err) = send_and_finish(r, &[SIGTERM, SIGHUP, SIGHUP]);
    let _ = std::fs::remove_dir_all(copy.parent().unwrap());
    assert_eq!(lines, ["got TERM", "got HUP", "got HUP", "bye"], "{err}");
    assert_eq!(code, Some(0));
}

/// A file in a fresh directory, executable, with `body`.
fn script(tag: &str, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = common::world_executable_copy(tag)
        .parent()
        .unwrap()
        .to_path_buf();
    let path = dir.join(tag);
    std::fs::write(&path, body).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn a_script_without_shebang_runs_with_sh_as_execvp_does() {
    let path = script("noshebang", "echo \"ran: $0 $*\"; exit 4\n");
    let dir = path.parent().unwrap().to_str().unwrap().to_string();
    // By path, then found on PATH; both as PID 1 and under --init.
    for mode in [&[][..], &["--init"][..]] {
        for (name, envpath) in [
            (path.to_str().unwrap(), "/usr/bin:/bin".to_string()),
            ("noshebang", format!("/nonexistent:{dir}:/bin")),
        ] {
            let mut args = vec!["pid"];
            args.extend(mode);
            args.extend(["--", name, "a", "b c"]);
            let out = ns_tool(&args).env("PATH", &envpath).output().unwrap();
            assert_eq!(out.status.code(), Some(4), "{mode:?} {name}: {out:?}");
            assert_eq!(
                text(&out.stdout),
                format!("ran: {} a b c\n", path.display()),
                "{mode:?} {name}"
            );
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn exec_failures_name_the_real_cause() {
    let bad = script("badinterp", "#!/nonexistent/interp -x\necho hi\n");
    let dir = bad.parent().unwrap().to_path_buf();
    let cases: [(&str, i32, String); 3] = [
        (
            bad.to_str().unwrap(),
            127,
            format!(
                "ns-tool: execve({}): No such file or directory (ENOENT): the interpreter on its \
                 #! line was not found: /nonexistent/interp\n",
                bad.display()
            ),
        ),
        (
            "badinterp",
            127,
            "ns-tool: execve(badinterp): No such file or directory (ENOENT): the interpreter \
             on its #! line was not found: /nonexistent/interp\n"
                .to_string(),
        ),
        (
            "/tmp",
            126,
            "ns-tool: execve(/tmp): Permission denied (EACCES): it is a directory\n".to_string(),
        ),
    ];
    for (name, code, message) in cases {
        for mode in [&[][..], &["--init"][..]] {
            let mut args = vec!["pid"];
            args.extend(mode);
            args.extend(["--", name]);
            let out = ns_tool(&args)
                .env("PATH", format!("{}:/bin", dir.display()))
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(code), "{name} {mode:?}: {out:?}");
            assert_eq!(text(&out.stderr), message, "{name} {mode:?}");
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn deaths_by_sigint_and_sigpipe_are_quiet_as_in_a_shell() {
    // Ctrl-C is the user's own doing; a closed pipe is `| head` working.
    let out = run(&["pid", "--init", "--", "sh", "-c", "kill -INT $$"]);
    assert_eq!(out.status.code(), Some(130), "{out:?}");
    assert_eq!(text(&out.stderr), "");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{} pid -- sh -c 'yes' | head -1 >/dev/null",
            bin().display()
        ))
        .output()
        .unwrap();
    assert_eq!(text(&out.stderr), "", "{out:?}");
    // Any other signal is worth a line, as shells print "Terminated".
    let out = run(&["pid", "--init", "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(out.status.code(), Some(143));
    assert_eq!(
        text(&out.stderr),
        "ns-tool: sh was killed by signal 15 (SIGTERM)\n"
    );
}

#[test]
fn credential_change_clears_pdeathsig_and_init_is_the_workaround() {
    // The documented limit (docs/signals.md, --help): a COMMAND that
    // changes credentials loses PR_SET_PDEATHSIG, so without --init it
    // outlives a SIGKILLed ns-tool. With --init, ns-tool is PID 1 and
    // keeps it, so the namespace dies with ns-tool. If the first half
    // ever fails, the kernel changed: update the docs.
    for (init, survives) in [(false, true), (true, false)] {
        let m = marker(40 + u32::from(init));
        let mut args = vec!["pid"];
        if init {
            args.push("--init");
        }
        args.extend([
            "--",
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "sleep",
            &m,
        ]);
        let mut child = ns_tool(&args).stdout(Stdio::null()).spawn().unwrap();
        let _dog = watchdog(child.id(), 20);
        assert!(wait_until(5, || sleepers(&m).len() == 1), "sleep started");
        kill(child.id(), SIGKILL);
        child.wait().unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let left = sleepers(&m);
        assert_eq!(!left.is_empty(), survives, "init={init}: {left:?}");
        for pid in left {
            kill(pid, SIGKILL);
        }
    }
    let help = text(&run(&["pid", "--help"]).stdout);
    assert!(
        help.contains("changes credentials") && help.contains("--init"),
        "--help documents the limit and the workaround:\n{help}"
    );
}

#[test]
fn many_forwarded_signals_are_each_passed_on() {
    // Every catchable signal is passed on, not just a list: at 826b3f9
    // SIGALRM killed ns-tool by its default action.
    for mode in MODES {
        let r = start(&mut counter(mode));
        let (lines, code, _) = send_and_finish(r, &[SIGUSR1, 28, SIGALRM]);
        assert_eq!(
            lines,
            ["got USR1", "got WINCH", "got ALRM", "bye"],
            "{mode:?}"
        );
        assert_eq!(code, Some(0), "{mode:?}");
    }
}
