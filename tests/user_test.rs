//! `ns-tool user`: a user namespace that its first process unshares and
//! maps itself; as uid 65534, the ordinary user it is for, and as root.

mod common;

use std::process::Output;

use common::{bin, match_lines, run, text};

/// common::run_as_nobody, one at a time: its copy's path is one per test
/// process, and each call removes it when done.
fn run_as_nobody(args: &[&str]) -> Output {
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    common::run_as_nobody(args)
}

/// The demonstration; `{*}` stands for the two capability masks, checked
/// apart (they are hexadecimal).
const DEMO: &[&str] = &[
    "Parent: UID outside: {}",
    "Parent: GID outside: {}",
    "Parent: effective capabilities outside: {*}",
    "Parent: user namespace outside: user:[{}]",
    "",
    "=== Inside the user namespace ===",
    "UID before the maps: {}",
    "GID before the maps: {}",
    "UID: {}",
    "GID: {}",
    "Effective capabilities: {*}",
    "User namespace: user:[{}]",
    "Set the outside's hostname: no: Operation not permitted (EPERM)",
    "Create a UTS namespace: yes",
    "Set its hostname: yes",
    "=================================",
    "",
    "Parent: child {} exited with status 0",
];

fn read(path: &str) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .trim_end()
        .to_string()
}

/// The inode of a namespace of this test process.
fn own_ns(kind: &str) -> u64 {
    let link = std::fs::read_link(format!("/proc/self/ns/{kind}")).unwrap();
    let link = link.to_str().unwrap();
    link[kind.len() + 2..link.len() - 1].parse().unwrap()
}

/// Every capability this kernel has, as ns-tool writes a mask.
fn full_set() -> String {
    let last: u32 = read("/proc/sys/kernel/cap_last_cap").parse().unwrap();
    format!("{:#x}", (1u64 << (last + 1)) - 1)
}

/// This test process's effective capabilities (what ns-tool, run by it
/// without setuid, starts with).
fn own_caps() -> String {
    let status = read("/proc/self/status");
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:\t"))
        .unwrap();
    format!("{:#x}", u64::from_str_radix(hex, 16).unwrap())
}

/// Check the demonstration run by `uid` (`outside_caps` its mask).
fn check_demo(out: Output, uid: u64, outside_caps: &str) {
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let n = match_lines(DEMO, &stdout).unwrap();
    let overflow: u64 = read("/proc/sys/kernel/overflowuid").parse().unwrap();
    let overflow_gid: u64 = read("/proc/sys/kernel/overflowgid").parse().unwrap();
    // Outside: the caller, its own user namespace.
    assert_eq!((n[0], n[1]), (uid, uid));
    assert_eq!(n[2], own_ns("user"));
    // Inside: the overflow IDs until the maps, then root.
    assert_eq!((n[3], n[4]), (overflow, overflow_gid));
    assert_eq!((n[5], n[6]), (0, 0));
    assert_ne!(n[7], n[2], "a user namespace of its own");
    assert!(n[8] > 1);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[2],
        format!("Parent: effective capabilities outside: {outside_caps}")
    );
    assert_eq!(lines[10], format!("Effective capabilities: {}", full_set()));
}

#[test]
fn an_ordinary_user_is_root_with_every_capability_inside_only() {
    let host = read("/proc/sys/kernel/hostname");
    check_demo(run_as_nobody(&["user"]), 65534, "0x0");
    assert_eq!(read("/proc/sys/kernel/hostname"), host);
}

#[test]
fn root_too_is_root_only_inside() {
    let host = read("/proc/sys/kernel/hostname");
    check_demo(run(&["user"]), 0, &own_caps());
    assert_eq!(read("/proc/sys/kernel/hostname"), host);
}

/// `COMMAND`'s standard output, which must succeed quietly.
fn command(out: Output) -> String {
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    stdout
}

/// An ID map file's one line, its fields single-spaced.
fn fields(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn command_runs_mapped_as_nobody() {
    let id = command(run_as_nobody(&["user", "--", "id"]));
    assert!(id.starts_with("uid=0(root) gid=0(root) "), "{id}");
    let maps = command(run_as_nobody(&[
        "user",
        "--",
        "cat",
        "/proc/self/uid_map",
        "/proc/self/gid_map",
        "/proc/self/setgroups",
    ]));
    let lines: Vec<String> = maps.lines().map(fields).collect();
    assert_eq!(lines, ["0 65534 1", "0 65534 1", "deny"]);
    assert_eq!(
        command(run_as_nobody(&[
            "user",
            "--map-user",
            "1000",
            "--",
            "id",
            "-u"
        ])),
        "1000\n"
    );
    let ids = command(run_as_nobody(&[
        "user",
        "--map-user=4294967294",
        "--map-group",
        "42",
        "--",
        "sh",
        "-c",
        "id -u; id -g",
    ]));
    assert_eq!(ids, "4294967294\n42\n");
}

#[test]
fn command_runs_mapped_as_root() {
    assert_eq!(command(run(&["user", "--", "id", "-u"])), "0\n");
    let maps = command(run(&[
        "user",
        "--map-group",
        "7",
        "--",
        "cat",
        "/proc/self/uid_map",
        "/proc/self/gid_map",
    ]));
    let lines: Vec<String> = maps.lines().map(fields).collect();
    assert_eq!(lines, ["0 0 1", "7 0 1"]);
}

#[test]
fn ids_that_are_not_ids_are_usage_errors() {
    for opt in ["--map-user", "--map-group"] {
        for bad in ["4294967295", "99999999999", "-1", "x", "", "1 "] {
            for out in [run(&["user", opt, bad]), run_as_nobody(&["user", opt, bad])] {
                assert_eq!(out.status.code(), Some(2), "{opt} {bad:?}");
                assert!(out.stdout.is_empty());
                assert_eq!(
                    text(&out.stderr),
                    format!("ns-tool: user: an ID is a number from 0 to 4294967294, not '{bad}'\n")
                );
            }
        }
    }
}

/// unshare's number.
#[cfg(target_arch = "x86_64")]
const UNSHARE: u32 = 272;
#[cfg(target_arch = "aarch64")]
const UNSHARE: u32 = 97;

#[test]
fn a_refused_user_namespace_is_one_line_with_the_users_advice() {
    let mut cmd = std::process::Command::new(bin());
    cmd.arg("user");
    // SAFETY: refuse() makes two system calls and allocates nothing.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            ns_tool_vm::seccomp::refuse(UNSHARE, 1)
        });
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    // The parent's lines, none from inside.
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert!(lines[0].starts_with("Parent: UID outside: "), "{stdout}");
    assert!(lines[4].ends_with(" exited with status 1"), "{stdout}");
    assert_eq!(
        text(&out.stderr),
        "ns-tool: unshare(CLONE_NEWUSER): Operation not permitted (EPERM): this system does \
         not let unprivileged users create user namespaces (see sysctl \
         user.max_user_namespaces); run it as root without --user\n"
    );
}
