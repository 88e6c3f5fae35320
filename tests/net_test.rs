//! `ns-tool net`: a new network namespace with only `lo`, brought up;
//! the outside's interfaces read by the test itself; COMMAND there;
//! `--user` as uid 65534; the trace; nothing left behind.

mod common;

use common::{match_lines, run, run_as_nobody, text};

const DEMO: &[&str] = &[
    "Interfaces outside: {*}",
    "Parent: net namespace outside: net:[{}]",
    "",
    "=== Inside the network namespace ===",
    "Interfaces inside: lo",
    "lo before SIOCSIFFLAGS: DOWN, after: UP",
    "UDP to 127.0.0.1:{} inside: received \"ns-tool\"",
    "net namespace: net:[{}]",
    "====================================",
    "",
    "Parent: child {} exited with status 0",
];

/// The interfaces of the test's own network namespace, as ns-tool lists
/// them: /proc/net/dev's names, in its order.
fn ours() -> String {
    let dev = std::fs::read_to_string("/proc/self/net/dev").unwrap();
    let names: Vec<&str> = dev
        .lines()
        .skip(2)
        .filter_map(|l| l.split_once(':').map(|(n, _)| n.trim()))
        .collect();
    names.join(", ")
}

/// Whether any process is in the network namespace `inode`.
fn anyone_in(inode: u64) -> bool {
    let want = format!("net:[{inode}]");
    std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
        std::fs::read_link(e.path().join("ns/net")).is_ok_and(|l| l.to_str() == Some(&want))
    })
}

#[test]
fn only_lo_inside_up_and_working() {
    let before = ours();
    let own = std::fs::read_link("/proc/self/ns/net").unwrap();
    let out = run(&["net"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let n = match_lines(DEMO, &stdout).unwrap();
    assert_eq!(
        stdout.lines().next().unwrap(),
        format!("Interfaces outside: {before}")
    );
    assert!((1..=65535).contains(&n[1]), "a port: {}", n[1]);
    assert_eq!(own.to_str().unwrap(), format!("net:[{}]", n[0]));
    assert_ne!(n[0], n[2], "a namespace of its own");
    // Nothing left behind: the same interfaces here, and the namespace
    // went with its one process.
    assert_eq!(ours(), before);
    assert!(!anyone_in(n[2]), "net:[{}] outlived ns-tool", n[2]);
}

#[test]
fn command_sees_only_lo_and_up() {
    let out = run(&["net", "--", "cat", "/proc/net/dev"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let dev = text(&out.stdout);
    let names: Vec<&str> = dev
        .lines()
        .skip(2)
        .map(|l| l.split(':').next().unwrap().trim())
        .collect();
    assert_eq!(names, ["lo"], "{dev}");
    // `ip` is installed here (iproute2); lo's flags say UP.
    let out = run(&["net", "--", "sh", "-c", "ip -o link"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let link = text(&out.stdout);
    assert_eq!(link.lines().count(), 1, "{link}");
    assert!(link.starts_with("1: lo: <LOOPBACK,UP,LOWER_UP> "), "{link}");
    // And 127.0.0.1 answers, where COMMAND can reach it.
    let out = run(&["net", "--", "sh", "-c", "ip -o -4 addr show lo"]);
    assert!(text(&out.stdout).contains(" inet 127.0.0.1/8 "), "{out:?}");
}

#[test]
fn as_nobody_user_is_needed_and_enough() {
    let out = run_as_nobody(&["net", "--", "true"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        text(&out.stderr),
        "ns-tool: unshare(CLONE_NEWNET): Operation not permitted (EPERM): creating namespaces \
         requires root (CAP_SYS_ADMIN); run it with sudo, or add --user to create a user \
         namespace first\n"
    );
    let out = run_as_nobody(&["net", "--user"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    match_lines(DEMO, &stdout).unwrap();
    let out = run_as_nobody(&["net", "--user", "--", "cat", "/sys/class/net/lo/flags"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn the_trace_shows_the_child_unsharing_and_each_call() {
    let out = run(&["--trace", "net"]);
    assert_eq!(out.status.code(), Some(0));
    let trace = text(&out.stderr);
    let mut at = 0;
    for want in [
        "] unshare(CLONE_NEWNET) = 0  (",
        "] socket(2, 526338, 0) = 3  (",
        "] ioctl(3, SIOCGIFFLAGS, \"lo\") = 0  (",
        "] ioctl(3, SIOCSIFFLAGS, \"lo\") = 0  (",
        "] ioctl(3, SIOCGIFFLAGS, \"lo\") = 0  (",
        "] bind(3, .., 16) = 0  (",
        "] getsockname(3, .., [16]) = 0  (",
        "] connect(3, .., 16) = 0  (",
        "] write(3, \"ns-tool\", 7) = 7  (",
        "] read(3, .., 16) = 7  (",
    ] {
        let found = trace[at..]
            .find(want)
            .unwrap_or_else(|| panic!("no {want:?}, in order, in\n{trace}"));
        at += found;
        let line = trace[..at].rsplit('\n').next().unwrap();
        // The child does it, not ns-tool's own process.
        assert!(line.starts_with("[child of host "), "{line}{want}");
        at += want.len();
    }
}
