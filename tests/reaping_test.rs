//! `ns-tool pid` leaves no zombie: the parent reaps its child itself, also
//! when the reader of its output goes away early.
//!
//! This file holds one test so that it is alone in its process: the test
//! process makes itself a child subreaper (prctl(2)), so any orphan that
//! ns-tool left behind would be reparented to it and show up in wait4.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::wait_any;
use linux_raw_sys::general::WNOHANG;
use linux_raw_sys::prctl::PR_SET_CHILD_SUBREAPER;
use syscalls::{syscall2, Errno, Sysno};

#[test]
fn no_zombie_or_orphan_is_left_behind() {
    // SAFETY: prctl with two integer arguments.
    unsafe { syscall2(Sysno::prctl, PR_SET_CHILD_SUBREAPER as usize, 1) }
        .expect("prctl(PR_SET_CHILD_SUBREAPER)");

    let out = common::run(&["pid"]);
    assert!(out.status.success(), "{out:?}");
    assert_nothing_left();

    // A reader that goes away early (`ns-tool pid | head -4`): no error
    // message, and still nothing left behind once ns-tool is gone.
    // ns-tool may, now and then, have written its last line before the
    // reader goes: that run shows nothing, so try again (at most 20 times).
    let mut attempts = 0;
    let out = loop {
        let mut child = Command::new(common::bin())
            .arg("pid")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        for _ in 0..4 {
            stdout.read_line(&mut line).unwrap();
        }
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        attempts += 1;
        if !out.status.success() || attempts == 20 {
            break out;
        }
    };
    assert!(
        out.status.signal() == Some(13) || out.status.code() == Some(141),
        "dies as SIGPIPE would: {:?}",
        out.status
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "no one to tell");
    // The child (PID 1 of its namespace, which SIGPIPE cannot kill) may
    // outlive ns-tool by a moment: it is reparented to us and must end by
    // itself, promptly.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match wait_any(WNOHANG) {
            Ok(0) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(0) => panic!("the namespace's PID 1 outlived ns-tool by 5 s"),
            Ok(_) => {}
            Err(Errno::ECHILD) => break,
            Err(e) => panic!("wait4: {e}"),
        }
    }
}

fn assert_nothing_left() {
    // ns-tool itself was reaped by Command::output. Anything else that was
    // ours now (a zombie or a still-running orphan) makes wait4 succeed or
    // return 0 instead of failing with ECHILD.
    assert_eq!(
        wait_any(WNOHANG),
        Err(Errno::ECHILD),
        "ns-tool left a process behind"
    );
}
