//! Load: many runs back to back and at once leave no zombie, no mount and
//! no PID namespace behind, and every exit status is right. A signal storm
//! under --init does not disturb COMMAND's status or leave zombies.
//!
//! Alone in its process: the test makes itself a child subreaper, so any
//! process ns-tool leaves behind is reparented here and seen.
//! Sizes: NS_TOOL_LOAD_RUNS (default 1000) sequential runs and
//! NS_TOOL_LOAD_CONCURRENT (default 100) concurrent ones (`cargo make
//! stress` raises them).

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use common::bin;
use linux_raw_sys::general::{SIGCHLD, SIGINT, SIGTERM, WNOHANG};
use linux_raw_sys::prctl::PR_SET_CHILD_SUBREAPER;
use syscalls::{syscall2, Errno, Sysno};

fn size(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Inodes of every PID namespace some process lives in.
fn pid_namespaces() -> BTreeSet<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| std::fs::read_link(e.path().join("ns/pid")).ok())
        .map(|l| l.to_string_lossy().into_owned())
        .collect()
}

fn mounts() -> String {
    std::fs::read_to_string("/proc/self/mountinfo").unwrap()
}

fn nothing_of_ours_left() -> Result<(), String> {
    match common::wait_any(WNOHANG) {
        Err(Errno::ECHILD) => Ok(()),
        other => Err(format!("a process was left behind: wait4 = {other:?}")),
    }
}

fn ns_tool(args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

#[test]
fn load_and_signal_storm_leave_nothing_behind() {
    // SAFETY: prctl with integer arguments.
    unsafe { syscall2(Sysno::prctl, PR_SET_CHILD_SUBREAPER as usize, 1) }.unwrap();
    let namespaces = pid_namespaces();
    let mount_table = mounts();

    // Back to back.
    let runs = size("NS_TOOL_LOAD_RUNS", 1000);
    for i in 0..runs {
        let code = i % 256;
        let out = ns_tool(&["pid", "--", "sh", "-c", &format!("exit {code}")])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code as i32), "run {i}: {out:?}");
    }
    nothing_of_ours_left().unwrap();

    // At once, half of them with --init and --mount-proc.
    let concurrent = size("NS_TOOL_LOAD_CONCURRENT", 100);
    let children: Vec<_> = (0..concurrent)
        .map(|i| {
            let code = (i * 7 % 256).to_string();
            let mut args = vec!["pid"];
            if i % 2 == 1 {
                args.extend(["--init", "--mount-proc"]);
            }
            args.extend(["--", "sh", "-c", "exit $0"]);
            args.push(&code);
            (i * 7 % 256, ns_tool(&args).spawn().unwrap())
        })
        .collect();
    let _dog = common::watchdog(std::process::id(), 120);
    for (code, child) in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(code as i32), "{out:?}");
    }
    nothing_of_ours_left().unwrap();

    // Signal storm at the namespace's PID 1 (ns-tool under --init), which
    // forwards INT and TERM to COMMAND; COMMAND ignores them, makes orphans,
    // and lists its namespace's processes before exiting with 7.
    let script = "trap '' INT TERM; echo ready; i=0; while [ $i -lt 20 ]; do (sleep 0.02 &); i=$((i+1)); done; \
                  sleep 0.6; for s in /proc/[0-9]*/stat; do read -r l < $s && echo \"$l\"; done; exit 7";
    let mut child = ns_tool(&["pid", "--init", "--mount-proc", "--", "sh", "-c", script])
        .spawn()
        .unwrap();
    let host = child.id();
    // Storm only once COMMAND has its trap set: before that, the first
    // forwarded SIGINT would (rightly) kill it.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert_eq!(first, "ready\n");
    let init = common::wait_until(5, || children_of(host).len() == 1)
        .then(|| children_of(host)[0])
        .expect("the namespace's PID 1");
    for _ in 0..200 {
        for sig in [SIGINT, SIGTERM, SIGCHLD] {
            // SAFETY: kill with integer arguments; the target may be gone.
            let _ = unsafe { syscall2(Sysno::kill, init as usize, sig as usize) };
        }
    }
    let mut stats = String::new();
    stdout.read_to_string(&mut stats).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(7), "{out:?}");
    assert!(stats.lines().count() >= 2, "{stats}");
    for line in stats.lines() {
        assert_ne!(line.split_whitespace().nth(2), Some("Z"), "zombie: {line}");
    }
    nothing_of_ours_left().unwrap();

    // Nothing of any of it outlived its run.
    assert!(
        // Other processes on the machine may come and go: only new
        // namespaces that stay are ours to answer for.
        common::wait_until(5, || pid_namespaces().is_subset(&namespaces)),
        "PID namespaces left: {:?}",
        pid_namespaces().difference(&namespaces).collect::<Vec<_>>()
    );
    assert_eq!(mounts(), mount_table, "the host's mount table changed");
}

fn children_of(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect()
}
