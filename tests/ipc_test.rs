//! `ns-tool ipc`: the demonstration's output, the counts from both sides
//! against /proc/sysvipc as this process reads it, nothing left behind,
//! a COMMAND that cannot see a queue held outside, `--user` as uid 65534,
//! EPERM without it, and the calls in `--trace`.

mod common;

use std::sync::Mutex;

use common::{match_lines, run, run_as_nobody, text};

/// The tests create and count IPC objects in this IPC namespace: one at
/// a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

const DEMO: &[&str] = &[
    "Parent: outside, before:",
    "Message queues: {}",
    "Semaphores: {}",
    "Shared memory: {}",
    "Parent: outside, with one of each (msgget, semget, shmget):",
    "Message queues: {}",
    "Semaphores: {}",
    "Shared memory: {}",
    "Parent: IPC namespace outside: ipc:[{}]",
    "",
    "=== Inside the IPC namespace ===",
    "Message queues: {}",
    "Semaphores: {}",
    "Shared memory: {}",
    "IPC namespace: ipc:[{}]",
    "================================",
    "",
    "Parent: outside, after removing them (IPC_RMID):",
    "Message queues: {}",
    "Semaphores: {}",
    "Shared memory: {}",
    "Parent: child {} exited with status 0",
];

/// /proc/sysvipc/{msg,sem,shm}, as this process reads them.
fn sysvipc() -> [String; 3] {
    ["msg", "sem", "shm"].map(|k| std::fs::read_to_string(format!("/proc/sysvipc/{k}")).unwrap())
}

/// How many objects each file lists (its lines but the header).
fn counts(files: &[String; 3]) -> [u64; 3] {
    files.each_ref().map(|f| f.lines().count() as u64 - 1)
}

fn own_ipc_ns() -> u64 {
    let link = std::fs::read_link("/proc/self/ns/ipc").unwrap();
    let link = link.to_str().unwrap();
    link["ipc:[".len()..link.len() - 1].parse().unwrap()
}

/// A message queue of this process's own, removed when dropped.
struct Queue(usize);

impl Queue {
    fn new() -> Queue {
        // msgget(IPC_PRIVATE, IPC_CREAT | 0600)
        let id = unsafe { syscalls::syscall2(syscalls::Sysno::msgget, 0, 0o1600) }.unwrap();
        Queue(id)
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        // msgctl(id, IPC_RMID, NULL)
        let _ = unsafe { syscalls::syscall3(syscalls::Sysno::msgctl, self.0, 0, 0) };
    }
}

#[test]
fn the_demonstration_counts_from_both_sides_and_leaves_nothing() {
    let _one = serial();
    // One object of ours outside, so that "before" is not all zeros.
    let _queue = Queue::new();
    let before = sysvipc();
    let out = run(&["ipc"]);
    let after = sysvipc();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    let n = match_lines(DEMO, &stdout).unwrap();
    let outside = counts(&before);
    assert!(outside[0] >= 1, "{before:?}");
    assert_eq!(n[0..3], outside, "before, as this process read it");
    assert_eq!(n[3..6], outside.map(|c| c + 1), "one more of each");
    assert_eq!(n[6], own_ipc_ns(), "the parent stays in our namespace");
    assert_eq!(n[7..10], [0, 0, 0], "none visible inside");
    assert_ne!(n[10], n[6], "the child is in another namespace");
    assert_eq!(n[11..14], outside, "after: as before");
    // Nothing left behind, not even a changed field.
    assert_eq!(before, after);
}

#[test]
fn a_command_sees_no_queue_of_the_outside() {
    let _one = serial();
    let _queue = Queue::new();
    let before = sysvipc();
    assert!(counts(&before)[0] >= 1);
    let out = run(&["ipc", "--", "sh", "-c", "cat /proc/sysvipc/msg"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let header = before[0].lines().next().unwrap();
    assert_eq!(text(&out.stdout), format!("{header}\n"));
    assert_eq!(text(&out.stderr), "");
    // No object made for a COMMAND.
    assert_eq!(sysvipc(), before);
    assert_eq!(
        run(&["ipc", "--pid", "--", "sh", "-c", "exit 5"])
            .status
            .code(),
        Some(5)
    );
}

#[test]
fn as_nobody_user_makes_it_possible() {
    let _one = serial();
    let before = sysvipc();
    let out = run_as_nobody(&["ipc", "--user"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let n = match_lines(DEMO, &stdout).unwrap();
    assert_eq!(n[7..10], [0, 0, 0]);
    assert_eq!(n[0..3], n[11..14]);
    assert_eq!(sysvipc(), before);
}

#[test]
fn as_nobody_without_user_is_one_eperm_line_and_nothing_left() {
    let _one = serial();
    let before = sysvipc();
    let out = run_as_nobody(&["ipc"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "ns-tool: unshare(CLONE_NEWIPC): Operation not permitted (EPERM): creating namespaces \
         requires root (CAP_SYS_ADMIN); run it with sudo, or add --user to create a user \
         namespace first\n"
    );
    // The objects were made outside, then removed all the same.
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("\nParent: outside, after removing them (IPC_RMID):\n")
            && stdout.ends_with(" exited with status 1\n"),
        "{stdout}"
    );
    assert_eq!(sysvipc(), before);
}

#[test]
fn the_trace_shows_the_objects_and_the_unshare() {
    let _one = serial();
    let out = run(&["--trace", "ipc"]);
    assert_eq!(out.status.code(), Some(0));
    let trace = text(&out.stderr);
    for call in [
        "] msgget(0, 896) = ",
        "] semget(0, 1, 896) = ",
        "] shmget(0, 4096, 896) = ",
        "] unshare(CLONE_NEWIPC) = 0  (",
        "] msgctl(",
        "] semctl(",
        "] shmctl(",
    ] {
        assert!(trace.contains(call), "{call} missing:\n{trace}");
    }
    // The child unshares; the parent does not (without --pid or --user).
    assert!(
        trace
            .lines()
            .filter(|l| l.contains("] unshare("))
            .all(|l| l.starts_with("[child of host ")),
        "{trace}"
    );
}

#[test]
fn no_values_and_help() {
    let out = run(&["ipc", "--hostname", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "ns-tool: ipc: unknown option '--hostname'; run 'ns-tool ipc --help' for usage\n"
    );
    let help = text(&run(&["ipc", "--help"]).stdout);
    assert!(help.starts_with("Usage: ns-tool ipc [OPTIONS]"), "{help}");
}
