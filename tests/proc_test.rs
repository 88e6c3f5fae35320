//! `ns-tool proc`: a process's namespaces, checked against what std reads
//! from /proc itself, and `--compare` against processes in namespaces
//! made for the test.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Child, Command};

use common::{run, run_as_nobody, text};

/// `\w+ -> \w+:\[\d+\]`, the lesson series' pattern, at the start of
/// `line`: true if it matches.
fn matches_pattern(line: &str) -> bool {
    let word = |s: &str| {
        s.bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
            .count()
    };
    let n = word(line);
    let Some(rest) = line[n..].strip_prefix(" -> ") else {
        return false;
    };
    let m = word(rest);
    let Some(rest) = rest[m..].strip_prefix(":[") else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    n > 0 && m > 0 && digits > 0 && rest[digits..].starts_with(']')
}

/// A `sleep` that ends with the test (killed on drop).
struct Sleeper(Child);

impl Sleeper {
    fn new(cmd: &mut Command) -> Self {
        Sleeper(cmd.spawn().expect("spawn sleep"))
    }
    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sleep() -> Sleeper {
    Sleeper::new(Command::new("sleep").arg("30"))
}

/// `name -> target` for each entry of /proc/PID/ns, in the order std's
/// read_dir (getdents64 too) gives them.
fn expected(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/ns"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let target = std::fs::read_link(e.path()).unwrap();
            format!(
                "{} -> {}",
                e.file_name().to_str().unwrap(),
                target.to_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn lines_are_what_readlink_gives() {
    let child = sleep();
    let pid = child.pid().to_string();
    let out = run(&["proc", "--pid", &pid]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(text(&out.stderr), "");
    let got = text(&out.stdout);
    let lines: Vec<&str> = got.lines().collect();
    assert!(lines.len() >= 8, "{got}");
    for l in &lines {
        assert!(
            matches_pattern(l),
            "{l:?} does not match \\w+ -> \\w+:\\[\\d+\\]"
        );
    }
    assert_eq!(lines, expected(child.pid()));
    // Without --pid: ns-tool's own, the same namespaces as its parent's here.
    let own = text(&run(&["proc"]).stdout);
    assert_eq!(
        own.lines().collect::<Vec<_>>(),
        expected(std::process::id())
    );
}

#[test]
fn compare_in_the_same_namespaces_is_all_same() {
    let (a, b) = (sleep(), sleep());
    let out = run(&[
        "proc",
        "--pid",
        &a.pid().to_string(),
        "--compare",
        &b.pid().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let got = text(&out.stdout);
    let lines: Vec<&str> = got.lines().collect();
    let want: Vec<String> = expected(a.pid())
        .into_iter()
        .map(|l| format!("{l} same"))
        .collect();
    assert_eq!(lines, want, "{got}");
}

#[test]
fn compare_with_new_uts_and_pid_namespaces() {
    // unshare forks; its child runs sleep in the new namespaces.
    let outer =
        Sleeper::new(Command::new("unshare").args(["--uts", "--pid", "--fork", "sleep", "30"]));
    assert!(
        common::wait_until(5, || !common::children(outer.pid()).is_empty()),
        "unshare forked no child"
    );
    let inner = common::children(outer.pid())[0];
    assert!(common::wait_until(5, || std::fs::read_link(format!(
        "/proc/{inner}/exe"
    ))
    .is_ok_and(|p| p.ends_with("sleep"))));
    let host = sleep();
    let out = run(&[
        "proc",
        "--pid",
        &host.pid().to_string(),
        "--compare",
        &inner.to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let got = text(&out.stdout);
    let theirs = expected(inner);
    let mut differ = Vec::new();
    let lines: Vec<&str> = got.lines().collect();
    let mine = expected(host.pid());
    for (line, (mine, their)) in lines.iter().zip(mine.iter().zip(&theirs)) {
        let name = mine.split(' ').next().unwrap();
        let their_link = their.split(" -> ").nth(1).unwrap();
        if ["uts", "pid", "pid_for_children"].contains(&name) {
            assert_eq!(*line, format!("{mine} differs: {their_link}"));
            differ.push(name);
        } else {
            assert_eq!(*line, format!("{mine} same"));
        }
    }
    differ.sort();
    assert_eq!(differ, ["pid", "pid_for_children", "uts"], "{got}");
    assert_eq!(lines.len(), theirs.len(), "{got}");
}

#[test]
fn as_nobody_own_process_works_and_roots_is_refused() {
    let out = run_as_nobody(&["proc"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let got = text(&out.stdout);
    assert!(
        got.lines().count() >= 8 && got.lines().all(matches_pattern),
        "{got}"
    );
    // A process of nobody's own, by PID.
    let mine = Sleeper::new(Command::new("sleep").arg("30").uid(65534).gid(65534));
    let out = run_as_nobody(&["proc", "--pid", &mine.pid().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        text(&out.stdout).lines().collect::<Vec<_>>(),
        expected(mine.pid())
    );
    // Root's: refused, one line, no output.
    let roots = sleep();
    let pid = roots.pid().to_string();
    for args in [&["proc", "--pid", &pid][..], &["proc", "--compare", &pid]] {
        let out = run_as_nobody(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        assert_eq!(text(&out.stdout), "");
        assert_eq!(
            text(&out.stderr),
            format!("ns-tool: openat: Permission denied (EACCES) /proc/{pid}/ns\n"),
            "{args:?}"
        );
    }
}

#[test]
fn a_missing_process_is_one_line_and_status_1() {
    // PIDs stay below pid_max, which is at most 4194304: no process has it.
    let alive = sleep();
    let alive = alive.pid().to_string();
    for args in [
        &["proc", "--pid", "4194304"][..],
        &["proc", "--compare", "4194304"],
        &["proc", "--pid", &alive, "--compare=4194304"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        assert_eq!(text(&out.stdout), "", "{args:?}: nothing printed first");
        assert_eq!(
            text(&out.stderr),
            "ns-tool: openat: No such file or directory (ENOENT): no such process: \
             /proc/4194304/ns\n",
            "{args:?}"
        );
    }
    // A zombie has no namespaces left: its links are gone.
    let mut zombie = Command::new("true").spawn().unwrap();
    let pid = zombie.id();
    assert!(common::wait_until(5, || std::fs::read_to_string(format!(
        "/proc/{pid}/stat"
    ))
    .is_ok_and(|s| s.contains(") Z "))));
    let out = run(&["proc", "--pid", &pid.to_string()]);
    zombie.wait().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(text(&out.stdout), "");
    assert!(
        text(&out.stderr).starts_with("ns-tool: readlinkat: No such file"),
        "{out:?}"
    );
}

#[test]
fn bad_values_are_usage_errors_naming_the_option() {
    for (opt, v) in [
        ("--pid", "0"),
        ("--pid", "-1"),
        ("--pid", "x"),
        ("--pid", ""),
        ("--pid", "+5"),
        ("--pid", " 5"),
        ("--pid", "99999999"),
        ("--compare", "1x"),
        ("--compare", "0"),
    ] {
        let joined = format!("{opt}={v}");
        for args in [vec!["proc", opt, v], vec!["proc", &joined]] {
            let out = run(&args);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
            assert_eq!(text(&out.stdout), "");
            assert_eq!(
                text(&out.stderr),
                format!("ns-tool: proc: --pid and --compare take a process ID, not '{v}'\n"),
                "{args:?}"
            );
        }
    }
    for (args, msg) in [
        (
            &["proc", "--pid"][..],
            "proc: --pid and --compare take a process ID, not ''",
        ),
        (
            &["proc", "--compare"],
            "proc: --pid and --compare take a process ID, not ''",
        ),
        (
            &["proc", "12"],
            "proc: unexpected argument '12'; run 'ns-tool proc --help' for usage",
        ),
        (
            &["proc", "--"],
            "proc: unknown option '--'; run 'ns-tool proc --help' for usage",
        ),
        (
            &["proc", "-p", "1"],
            "proc: unknown option '-p'; run 'ns-tool proc --help' for usage",
        ),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert_eq!(text(&out.stderr), format!("ns-tool: {msg}\n"), "{args:?}");
    }
}

#[test]
fn trace_shows_getdents64_and_readlinkat() {
    let other = sleep();
    let out = run(&["--trace", "proc", "--compare", &other.pid().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let err = text(&out.stderr);
    let (getdents, readlinkat) = if cfg!(target_arch = "x86_64") {
        ("(x86_64 #217)", "(x86_64 #267)")
    } else {
        ("(aarch64 #61)", "(aarch64 #78)")
    };
    assert!(
        err.lines().any(|l| l.contains("] getdents64(")
            && l.contains(", .., 1024) = ")
            && l.ends_with(getdents)),
        "{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.contains(&format!("openat(AT_FDCWD, \"/proc/{}/ns\"", other.pid()))),
        "{err}"
    );
    // One readlinkat for each side of each line, the last at end of
    // directory: getdents64 answers 0.
    let lines = text(&out.stdout).lines().count();
    let reads = err
        .lines()
        .filter(|l| l.contains("] readlinkat(") && l.ends_with(readlinkat))
        .count();
    assert_eq!(reads, 2 * lines, "{err}");
    // Both directories, each by its descriptor.
    assert_eq!(err.matches(", \"pid\", \"pid:[").count(), 2, "{err}");
    assert!(
        err.lines()
            .any(|l| l.contains("] getdents64(") && l.contains(", .., 1024) = 0  (")),
        "{err}"
    );
    // --trace after the command works too.
    let out = run(&["proc", "--trace"]);
    assert!(text(&out.stderr).contains("] getdents64("), "{out:?}");
}

#[test]
fn help() {
    for args in [&["proc", "--help"][..], &["help", "proc"], &["proc", "-h"]] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let s = text(&out.stdout);
        assert!(
            s.starts_with("Usage: ns-tool proc [--pid PID] [--compare PID2]\n"),
            "{s}"
        );
        assert!(s.contains("--compare marks each same or not"), "{s}");
    }
    let s = text(&run(&["--help"]).stdout);
    assert!(s.contains("\n  proc "), "{s}");
}
