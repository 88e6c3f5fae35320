//! `ns-tool pid` leaves no zombie: the parent reaps its child itself.
//!
//! This file holds one test so that it is alone in its process: the test
//! process makes itself a child subreaper (prctl(2)), so any orphan that
//! ns-tool left behind would be reparented to it and show up in wait4.

mod common;

use linux_raw_sys::general::{__WALL, WNOHANG};
use linux_raw_sys::prctl::PR_SET_CHILD_SUBREAPER;
use syscalls::{syscall2, syscall4, Errno, Sysno};

#[test]
fn no_zombie_or_orphan_is_left_behind() {
    // SAFETY: prctl with two integer arguments.
    unsafe { syscall2(Sysno::prctl, PR_SET_CHILD_SUBREAPER as usize, 1) }
        .expect("prctl(PR_SET_CHILD_SUBREAPER)");

    let out = common::run(&["pid"]);
    assert!(out.status.success(), "{out:?}");

    // ns-tool itself was reaped by Command::output. Anything else that was
    // ours now (a zombie or a still-running orphan) makes wait4 succeed or
    // return 0 instead of failing with ECHILD.
    let mut status = 0i32;
    // SAFETY: wait4(-1, &status, WNOHANG|__WALL, NULL) with a live status.
    let got = unsafe {
        syscall4(
            Sysno::wait4,
            -1isize as usize,
            &mut status as *mut i32 as usize,
            (WNOHANG | __WALL) as usize,
            0,
        )
    };
    assert_eq!(got, Err(Errno::ECHILD), "ns-tool left a process behind");
}
