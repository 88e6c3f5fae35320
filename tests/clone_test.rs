//! `ns-tool clone`: `pid`'s job done with one clone3(2) call, the child
//! waited for through its pidfd; the fallback to clone(2) where a seccomp
//! filter, installed here as container runtimes install theirs, answers
//! clone3 with ENOSYS; `pid`'s options; as root and as uid 65534.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};

use common::{bin, match_lines, run, run_as_nobody, text, wait_until};

/// clone3's number, the same on x86_64 and aarch64.
const CLONE3: u32 = 435;
#[cfg(target_arch = "x86_64")]
const WAITID: u32 = 247;
#[cfg(target_arch = "aarch64")]
const WAITID: u32 = 95;

/// `pid`'s demonstration, in the lesson's words where clone differs.
const DEMO: &[&str] = &[
    "Creating a PID namespace and its child with one clone3 call...",
    "Parent: created child with PID {} (in parent namespace)",
    "Parent: PID namespace: pid:[{}]",
    "Parent: PID namespace for children: pid:[{}]",
    "",
    "=== Inside PID Namespace ===",
    "Child PID inside namespace: {}",
    "Parent PID inside namespace: {}",
    "Success! We are PID 1 in the new namespace",
    "PID namespace: pid:[{}]",
    "NSpid:\t{}\t{}",
    "",
    "You can verify isolation by checking /proc:",
    "  - /proc/self/status | grep NSpid",
    "  - ls /proc (shows only processes in this namespace)",
    "===========================",
    "",
    "Child exited with code {}",
];

/// Our own PID namespace's inode.
fn own_pid_ns() -> u64 {
    let link = std::fs::read_link("/proc/self/ns/pid").unwrap();
    let link = link.to_str().unwrap();
    link["pid:[".len()..link.len() - 1].parse().unwrap()
}

/// ns-tool with `args`, system call `nr` answered by `errno` (seccomp).
fn refusing(nr: u32, errno: i32, args: &[&str]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args);
    // SAFETY: refuse() makes two system calls and allocates nothing.
    unsafe {
        cmd.pre_exec(move || ns_tool_vm::seccomp::refuse(nr, errno as u32));
    }
    cmd.output().expect("spawn ns-tool under seccomp")
}

#[test]
fn the_demonstration_shows_pid_1_from_both_sides_and_the_parent_unmoved() {
    let out = run(&["clone"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let n = match_lines(DEMO, &stdout).unwrap();
    let (child, parent_ns, children_ns, pid, ppid, child_ns, code) =
        (n[0], n[1], n[2], n[3], n[4], n[5], n[8]);
    assert!(child > 1, "the parent sees a host PID: {child}");
    assert_eq!((pid, ppid, code), (1, 0, 0));
    // NSpid: the PID the parent printed, then 1.
    assert_eq!((n[6], n[7]), (child, 1));
    assert_eq!(parent_ns, own_pid_ns());
    // unshare would have moved the second; clone3 moved nothing of ours.
    assert_eq!(children_ns, parent_ns);
    assert_ne!(child_ns, parent_ns);
}

#[test]
fn where_pid_moves_the_parents_pid_for_children_clone_does_not() {
    let pid = text(&run(&["pid"]).stdout);
    let link = |out: &str, label: &str| -> String {
        let line = out.lines().find(|l| l.starts_with(label)).expect(label);
        line[label.len()..].to_string()
    };
    assert_ne!(
        link(&pid, "Parent: PID namespace: "),
        link(&pid, "Parent: PID namespace for children: "),
        "{pid}"
    );
    let clone = text(&run(&["clone"]).stdout);
    assert_eq!(
        link(&clone, "Parent: PID namespace: "),
        link(&clone, "Parent: PID namespace for children: "),
        "{clone}"
    );
}

#[test]
fn command_runs_as_pid_1_and_its_status_is_ours() {
    let out = run(&[
        "clone",
        "--",
        "/bin/sh",
        "-c",
        "echo PID=$$; echo PPID=$PPID",
    ]);
    assert_eq!(text(&out.stdout), "PID=1\nPPID=0\n");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        run(&["clone", "--", "sh", "-c", "exit 7"]).status.code(),
        Some(7)
    );
    let killed = run(&["clone", "--init", "--", "sh", "-c", "kill -9 $$"]);
    assert_eq!(killed.status.code(), Some(137), "{}", text(&killed.stderr));
    let missing = run(&["clone", "--", "ns-tool-no-such-command"]);
    assert_eq!(missing.status.code(), Some(127));
}

#[test]
fn one_call_makes_child_and_namespace_and_the_wait_goes_through_the_pidfd() {
    let out = run(&["--trace", "clone", "--", "true"]);
    assert_eq!(out.status.code(), Some(0));
    let trace = text(&out.stderr);
    let parent = trace
        .lines()
        .find(|l| l.starts_with("[host ") && l.contains("] clone3("))
        .unwrap_or_else(|| panic!("no clone3 line in the parent:\n{trace}"));
    assert!(
        parent.contains("clone3({flags=CLONE_NEWPID|CLONE_PIDFD, exit_signal=SIGCHLD}, 64) = ")
            && parent.ends_with(&format!(" #{CLONE3})")),
        "{parent}"
    );
    assert!(!trace.contains("unshare("), "{trace}");
    assert!(!trace.contains("] fork("), "{trace}");
    let waited = trace
        .lines()
        .find(|l| l.contains("] waitid(P_PIDFD, "))
        .unwrap_or_else(|| panic!("no waitid(P_PIDFD) line:\n{trace}"));
    assert!(
        waited.contains(", [exited 0], ") && waited.ends_with(&format!(" #{WAITID})")),
        "{waited}"
    );
    assert!(!trace.contains("] wait4("), "{trace}");
    // `pid` makes two calls, and no clone3.
    let pid = text(&run(&["--trace", "pid", "--", "true"]).stderr);
    assert!(pid.contains("] unshare(CLONE_NEWPID) = 0"), "{pid}");
    assert!(!pid.contains("clone3("), "{pid}");
}

#[test]
fn where_clone3_is_refused_with_enosys_clone_does_the_same_and_trace_says_so() {
    let args = ["--trace", "clone", "--", "sh", "-c", "echo PID=$$"];
    let out = refusing(CLONE3, 38, &args);
    let trace = text(&out.stderr);
    assert_eq!(text(&out.stdout), "PID=1\n", "{trace}");
    assert_eq!(out.status.code(), Some(0), "{trace}");
    assert!(trace.contains(") = -1 ENOSYS "), "{trace}");
    assert!(
        trace.contains("] clone3 refused (ENOSYS): trying clone(2)\n"),
        "{trace}"
    );
    let clone = trace
        .lines()
        .find(|l| l.starts_with("[host ") && l.contains("] clone("))
        .unwrap_or_else(|| panic!("no clone(2) in the parent:\n{trace}"));
    assert!(
        clone.contains("clone(CLONE_NEWPID|CLONE_PIDFD|SIGCHLD, NULL, [")
            && !clone.contains(") = -1"),
        "{clone}"
    );
    // Still through the pidfd clone(2) stored.
    assert!(trace.contains("] waitid(P_PIDFD, "), "{trace}");
    // Without --trace, nothing says so: the same output as without the filter.
    let quiet = refusing(CLONE3, 38, &args[1..]);
    assert_eq!(
        (
            text(&quiet.stdout),
            text(&quiet.stderr),
            quiet.status.code()
        ),
        ("PID=1\n".into(), String::new(), Some(0))
    );
    // The demonstration too.
    let demo = refusing(CLONE3, 38, &["clone"]);
    let n = match_lines(DEMO, &text(&demo.stdout)).unwrap();
    assert_eq!((n[3], n[4], n[7], n[8]), (1, 0, 1, 0));
}

#[test]
fn clone3_refused_otherwise_is_an_error_line_not_a_fallback() {
    // EPERM is a refusal to create namespaces, which clone(2) would only repeat.
    let out = refusing(CLONE3, 1, &["clone", "--", "true"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("ns-tool: clone3: Operation not permitted (EPERM): "),
        "{err}"
    );
}

#[test]
fn before_p_pidfd_it_waits_with_wait4() {
    // Linux 5.3 has clone3 but not waitid(P_PIDFD), which says EINVAL.
    let out = refusing(
        WAITID,
        22,
        &["--trace", "clone", "--", "sh", "-c", "exit 5"],
    );
    let trace = text(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{trace}");
    assert!(trace.contains("] waitid(P_PIDFD, "), "{trace}");
    assert!(trace.contains("[exited 5]"), "{trace}");
    assert!(trace.contains("] wait4("), "{trace}");
}

#[test]
fn as_nobody_user_maps_the_caller_to_root_and_without_it_says_what_to_do() {
    let out = run_as_nobody(&["clone", "--user", "--", "sh", "-c", "echo $$; id -u"]);
    assert_eq!(text(&out.stdout), "1\n0\n", "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0));
    let demo = run_as_nobody(&["clone", "--user"]);
    let n = match_lines(DEMO, &text(&demo.stdout)).unwrap();
    assert_eq!((n[3], n[4], n[7], n[8]), (1, 0, 1, 0));
    let out = run_as_nobody(&["clone", "--", "true"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(
        err,
        "ns-tool: clone3: Operation not permitted (EPERM): creating namespaces \
         requires root (CAP_SYS_ADMIN); run it with sudo, or add --user to create a \
         user namespace first\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn mount_proc_init_and_nest_work_as_for_pid() {
    let out = run(&[
        "clone",
        "--mount-proc",
        "--",
        "sh",
        "-c",
        "echo /proc/[0-9]*",
    ]);
    assert_eq!(text(&out.stdout), "/proc/1\n", "{}", text(&out.stderr));
    let out = run(&["clone", "--init", "--", "sh", "-c", "echo $$ $PPID"]);
    assert_eq!(text(&out.stdout), "2 1\n");
    let out = run(&["clone", "--nest", "3", "--", "sh", "-c", "echo $$"]);
    assert_eq!(text(&out.stdout), "1\n");
    let out = run(&["clone", "--nest", "33"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "ns-tool: clone: --nest takes 1 to 32 levels (the kernel nests PID namespaces \
         at most 32 deep), not '33'\n"
    );
}

#[test]
fn a_signal_reaches_command_once_and_its_status_comes_back() {
    let mut child = Command::new(bin())
        .args([
            "clone",
            "--",
            "sh",
            "-c",
            "trap 'echo got TERM; exit 3' TERM; echo READY; while :; do sleep 0.05; done",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 6];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    assert_eq!(&first, b"READY\n");
    common::kill(child.id(), 15);
    let out = child.wait_with_output().unwrap();
    assert_eq!(text(&out.stdout), "got TERM\n");
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn nothing_is_left_behind() {
    // (Its output elsewhere, or run() would wait for the sleep's end.)
    let out = run(&[
        "clone",
        "--",
        "sh",
        "-c",
        "sleep 3017 >/dev/null 2>&1 & exit 0",
    ]);
    assert_eq!(out.status.code(), Some(0));
    // The sleep died with its namespace's PID 1.
    let gone = wait_until(5, || common::sleepers("3017").is_empty());
    for pid in common::sleepers("3017") {
        common::kill(pid, 9);
    }
    assert!(gone, "a sleep outlived the namespace");
}
