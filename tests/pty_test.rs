//! Self-test of the pseudo-terminal harness (tests/common/pty.rs): an
//! interactive bash on a real pty behaves as it does for a person at a
//! terminal, and the harness sees keys, signals, job control, terminal
//! modes and a full-screen program the way that person would.

mod common;

use common::pty::{find_pids, proc_state, Pty, PROMPT};
use common::{marker, wait_until};
use std::time::Duration;

const T: Duration = Duration::from_secs(10);

/// The `sleep ARG` process, once it holds the terminal's foreground.
fn foreground_sleep(pty: &mut Pty, arg: &str) -> u32 {
    let sleep = |argv: &[&[u8]]| argv == [&b"sleep"[..], arg.as_bytes()];
    pty.wait_foreground(sleep, T).unwrap()
}

fn gone(pid: u32) -> bool {
    wait_until(10, || matches!(proc_state(pid), None | Some('Z')))
}

#[test]
fn typed_command_prints_on_screen() {
    let mut pty = Pty::shell();
    assert_eq!(pty.run("echo hello", T), "hello");
    let hello_line = |s: &str| s.lines().any(|l| l == "hello");
    pty.wait_screen(hello_line, T).unwrap();
}

#[test]
fn resize_sends_sigwinch() {
    let mut pty = Pty::shell();
    // Not at the prompt: there readline redraws the prompt on SIGWINCH,
    // and bash drops a signal that comes while its trap for the same signal
    // runs. dash clears it before, and runs the trap after each sleep.
    pty.send(b"sh -c \"trap 'echo WINCH' WINCH; echo READY; while sleep 0.05; do :; done\"\r");
    pty.wait_for("READY\r\n", T).unwrap();
    // The kernel signals only a change of size.
    pty.resize(30, 100);
    pty.wait_for("WINCH\r\n", T).unwrap();
    pty.resize(24, 80);
    pty.wait_for("WINCH\r\n", T).unwrap();
    pty.send(b"\x03");
    pty.wait_for(PROMPT, T).unwrap();
    let winch_lines = |s: &str| s.lines().filter(|l| *l == "WINCH").count();
    assert_eq!(winch_lines(&pty.screen()), 2, "screen:\n{}", pty.screen());
    assert_eq!(pty.run("stty size", T), "24 80");
}

#[test]
fn ctrl_c_interrupts_the_foreground_job() {
    let mut pty = Pty::shell();
    let arg = marker(30);
    pty.send(format!("sleep {arg}\r").as_bytes());
    let sleep = foreground_sleep(&mut pty, &arg);
    pty.send(b"\x03");
    pty.wait_for(PROMPT, T).unwrap();
    assert_eq!(pty.run("echo $?", T), "130");
    assert!(gone(sleep), "sleep {arg} survived Ctrl-C");
    assert_eq!(pty.foreground_pgrp(), pty.child_pid() as i32);
}

#[test]
fn ctrl_z_stops_the_job_and_fg_resumes_it() {
    let mut pty = Pty::shell();
    let arg = marker(31);
    pty.send(format!("sleep {arg}\r").as_bytes());
    let sleep = foreground_sleep(&mut pty, &arg);
    pty.send(b"\x1a");
    pty.wait_for("Stopped", T).unwrap();
    pty.wait_for(PROMPT, T).unwrap();
    assert_eq!(proc_state(sleep), Some('T'));
    assert_eq!(
        pty.foreground_pgrp(),
        pty.child_pid() as i32,
        "bash took the terminal back"
    );
    assert!(pty
        .run("jobs", T)
        .contains(&format!("Stopped                 sleep {arg}")));

    pty.send(b"fg\r");
    assert_eq!(foreground_sleep(&mut pty, &arg), sleep);
    assert!(
        wait_until(10, || proc_state(sleep) == Some('S')),
        "fg left sleep stopped"
    );
    pty.send(b"\x03");
    pty.wait_for(PROMPT, T).unwrap();
    assert!(gone(sleep), "sleep {arg} survived Ctrl-C after fg");
    assert_eq!(pty.run("jobs", T), "");
}

#[test]
fn stty_changes_the_modes_the_harness_reads() {
    // At a readline prompt ICANON and ECHO are always off: look while a
    // foreground command runs in the modes stty left.
    let mut pty = Pty::shell();
    let modes_during = |pty: &mut Pty, stty: &str, tag: u32| {
        let arg = marker(tag);
        pty.send(format!("{stty}sleep {arg}\r").as_bytes());
        foreground_sleep(pty, &arg);
        let flags = pty.termios_flags();
        pty.send(b"\x03");
        pty.wait_for(PROMPT, T).unwrap();
        flags
    };
    assert_eq!(modes_during(&mut pty, "", 40), (true, true, true));
    assert_eq!(
        modes_during(&mut pty, "stty -icanon -echo; ", 41),
        (false, false, true)
    );
    assert_eq!(
        modes_during(&mut pty, "stty sane; ", 42),
        (true, true, true)
    );
}

#[test]
fn background_reader_is_stopped_by_job_control() {
    let mut pty = Pty::shell();
    // bash answers "[1] PID" (and "[1]+ Stopped" if cat was quick).
    let started = pty.run("cat &", T);
    let pid: u32 = started
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("[1] "))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no job number and PID in {started:?}"));
    assert!(
        wait_until(10, || proc_state(pid) == Some('T')),
        "cat & was not stopped (SIGTTIN)"
    );
    assert!(
        pty.run("jobs", T).contains("Stopped"),
        "screen:\n{}",
        pty.screen()
    );
}

#[test]
fn less_shows_the_file_and_quits() {
    let installed = find_in_path("less");
    assert!(installed, "`less` is not installed: apt-get install less");
    let mut pty = Pty::shell();
    let first = std::fs::read_to_string("/etc/os-release").unwrap();
    let first = first.lines().next().unwrap().to_string();
    pty.send(b"less /etc/os-release\r");
    pty.wait_screen(|s| s.contains(&first) && s.contains("(END)"), T)
        .unwrap();
    pty.send(b"q");
    pty.wait_for(PROMPT, T).unwrap();
    assert!(
        !pty.screen().contains("(END)"),
        "less left its screen:\n{}",
        pty.screen()
    );
    assert_eq!(pty.run("echo $?", T), "0");
}

fn find_in_path(program: &str) -> bool {
    let path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    path.split(':')
        .any(|dir| std::path::Path::new(dir).join(program).exists())
}

#[test]
fn exit_closes_the_terminal() {
    let mut pty = Pty::shell();
    pty.send(b"exit 3\r");
    let status = pty.wait_exit(T).unwrap();
    assert_eq!(status.code(), Some(3));
    // No more output can come: a wait fails at once, not after its timeout.
    let start = std::time::Instant::now();
    let err = pty.wait_for("never", T).unwrap_err();
    assert!(err.contains("the terminal closed"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn drop_kills_the_whole_session() {
    let (running, stopped) = (marker(50), marker(51));
    let mut pty = Pty::shell();
    pty.run(&format!("sleep {running} &"), T);
    pty.send(format!("sleep {stopped}\r").as_bytes());
    foreground_sleep(&mut pty, &stopped);
    pty.send(b"\x1a");
    pty.wait_for(PROMPT, T).unwrap();
    drop(pty);
    for arg in [running, stopped] {
        let left = find_pids(|argv| argv == [&b"sleep"[..], arg.as_bytes()]);
        assert!(left.is_empty(), "sleep {arg} outlived the Pty: {left:?}");
    }
}
