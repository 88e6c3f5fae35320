//! A panic prints one line and exits 101 without unwinding, in whichever
//! process it happens, and cannot leave the other one running.
//!
//! Needs a build with the `failpoints` feature, whose path comes in
//! NS_TOOL_FAILPOINT_BIN (`cargo make test-host` builds it and runs this).
//! Alone in its process: the test is a child subreaper, so a process that
//! outlived ns-tool would be reparented here and seen.

mod common;

use std::process::Command;

use common::{text, wait_until};
use linux_raw_sys::general::WNOHANG;
use linux_raw_sys::prctl::PR_SET_CHILD_SUBREAPER;
use syscalls::{syscall2, Errno, Sysno};

fn reap_orphans() -> Result<usize, Errno> {
    common::wait_any(WNOHANG)
}

#[test]
#[ignore = "needs a --features failpoints build: cargo make test-host runs it"]
fn a_panic_is_one_line_exit_101_and_leaves_nothing() {
    let bin = std::env::var("NS_TOOL_FAILPOINT_BIN")
        .expect("NS_TOOL_FAILPOINT_BIN names a --features failpoints build");
    // SAFETY: prctl with integer arguments.
    unsafe { syscall2(Sysno::prctl, PR_SET_CHILD_SUBREAPER as usize, 1) }.unwrap();

    // In the child, PID 1 of the namespace: the parent reports its status.
    let out = panic_at(&bin, "child-panic", &["pid"]);
    assert!(
        text(&out.stdout).ends_with("exited with status 101\n"),
        "{out:?}"
    );
    assert_eq!(reap_orphans(), Err(Errno::ECHILD));

    // In the parent, after the fork: the child must not run on alone.
    panic_at(&bin, "parent-panic", &["pid", "--", "sleep", "30"]);
    // The orphaned child is reparented here; it must end by itself, fast
    // (it reads end-of-file instead of its go-ahead, or gets SIGKILL).
    assert!(
        wait_until(5, || reap_orphans() == Err(Errno::ECHILD)),
        "the child outlived its panicking parent"
    );
}

/// Run the failpoints build with `args`, panicking at `point`: exit 101 and
/// exactly one line on stderr, naming the panic.
fn panic_at(bin: &str, point: &str, args: &[&str]) -> std::process::Output {
    let out = Command::new(bin)
        .args(args)
        .env("NS_TOOL_FAILPOINT", point)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(101), "{point}: {out:?}");
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{point}: {stderr}");
    assert!(
        stderr.starts_with(&format!("ns-tool: internal error: failpoint {point}")),
        "{stderr}"
    );
    out
}
