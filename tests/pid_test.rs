//! `ns-tool pid` on the host, as root and as an unprivileged user.

mod common;

use common::{match_lines, nspid_fields, run, run_as_nobody, text};

/// The whole output contract of `ns-tool pid`, in order.
const CONTRACT: &[&str] = &[
    "Creating new PID namespace...",
    "PID namespace created. Forking child process...",
    "Parent: spawned child with PID {} (in parent namespace)",
    "Parent: PID namespace: pid:[{}]",
    "Parent: PID namespace for children: pid:[{}]",
    "",
    "=== Inside PID Namespace ===",
    "PID inside namespace: 1",
    "Parent PID inside namespace: 0",
    "Success! We are PID 1 in the new namespace",
    "PID namespace: pid:[{}]",
    "NSpid:{*}",
    "",
    "You can verify isolation by checking /proc:",
    "  - /proc/self/status | grep NSpid",
    "  - ls /proc (shows only processes in this namespace)",
    "===========================",
    "",
    "Parent: child {} exited with status 0",
];

struct Run {
    child: u64,
    parent_ns: u64,
    children_ns: u64,
    child_ns: u64,
    exited: u64,
    nspid: Vec<u64>,
}

fn run_pid() -> Run {
    let out = run(&["pid"]);
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "ns-tool pid failed: {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        text(&out.stderr)
    );
    assert_eq!(text(&out.stderr), "", "nothing on stderr");
    let n = match_lines(CONTRACT, &stdout).unwrap_or_else(|e| panic!("{e}"));
    let nspid_line = stdout.lines().find(|l| l.starts_with("NSpid:")).unwrap();
    Run {
        child: n[0],
        parent_ns: n[1],
        children_ns: n[2],
        child_ns: n[3],
        exited: n[4],
        nspid: nspid_fields(nspid_line),
    }
}

#[test]
fn pid_prints_the_contract_in_order_and_exits_0() {
    let r = run_pid();
    assert_eq!(r.exited, r.child, "the reaped child is the spawned one");
}

#[test]
fn order_of_lines_is_the_same_on_every_run() {
    // Both processes write to one pipe; the child must wait for the parent.
    for _ in 0..25 {
        run_pid();
    }
}

#[test]
fn child_host_pid_is_the_one_the_parent_printed() {
    let r = run_pid();
    assert!(
        r.nspid.len() >= 2,
        "NSpid has the outer levels too: {:?}",
        r.nspid
    );
    assert_eq!(*r.nspid.last().unwrap(), 1, "innermost PID is 1");
    assert_eq!(
        r.nspid[r.nspid.len() - 2],
        r.child,
        "the PID one level up is the one the parent saw"
    );
}

#[test]
fn namespaces_differ_and_match_the_callers() {
    let r = run_pid();
    let ours = std::fs::read_link("/proc/self/ns/pid").unwrap();
    assert_eq!(
        ours.to_str().unwrap(),
        format!("pid:[{}]", r.parent_ns),
        "unshare(CLONE_NEWPID) does not move the caller"
    );
    assert_ne!(
        r.parent_ns, r.child_ns,
        "the child lives in a new namespace"
    );
    assert_eq!(
        r.children_ns, r.child_ns,
        "pid_for_children named it in advance"
    );
}

#[test]
fn without_cap_sys_admin_unshare_fails_with_eperm_and_exit_1() {
    let out = run_as_nobody(&["pid"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        text(&out.stdout),
        "Creating new PID namespace...\n",
        "nothing on stdout after the first line"
    );
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert_eq!(
        stderr,
        "ns-tool: unshare(CLONE_NEWPID): Operation not permitted (EPERM): \
         creating namespaces requires root (CAP_SYS_ADMIN); run it with sudo, \
         or add --user to create a user namespace first\n"
    );
}
