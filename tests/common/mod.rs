//! Helpers shared by the host integration tests.
#![allow(dead_code)]

pub mod pty;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Output};

/// The ns-tool binary under test: `NS_TOOL_BIN` if set (e.g. a static
/// release build), else the one cargo built for these tests.
pub fn bin() -> PathBuf {
    std::env::var_os("NS_TOOL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_ns-tool")))
}

/// Run ns-tool with `args`, capturing its output through pipes.
pub fn run(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .output()
        .expect("spawn ns-tool")
}

/// A copy of the binary that any user can execute: the build tree may sit
/// below directories an unprivileged user cannot enter.
pub fn world_executable_copy(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ns-tool-test-{}-{tag}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    let path = dir.join("ns-tool");
    fs::copy(bin(), &path).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// `cmd.output()` for a program the test process has just written: while
/// another test thread forks, its child holds the copy's write descriptor
/// for a moment (until its own exec closes it), and exec fails with
/// ETXTBSY. Try again briefly, as shells do.
pub fn output_of_fresh_copy(cmd: &mut Command) -> Output {
    for _ in 0..100 {
        match cmd.output() {
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            other => return other.expect("spawn a fresh copy of ns-tool"),
        }
    }
    panic!("exec kept failing with ETXTBSY");
}

/// Run a copy of ns-tool as uid/gid 65534 (nobody), with no supplementary
/// groups: the unprivileged path, whoever runs the tests.
pub fn run_as_nobody(args: &[&str]) -> Output {
    // A copy per call: tests of one file run in threads, and each call
    // removes its copy when done.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let copy = world_executable_copy(&format!("nobody-{n}"));
    let out = output_of_fresh_copy(Command::new(&copy).args(args).uid(65534).gid(65534));
    let _ = fs::remove_dir_all(copy.parent().unwrap());
    out
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("output is UTF-8")
}

/// Match `actual` line by line against `template`, where `{}` stands for a
/// decimal number and `{*}` for the rest of the line. Returns the numbers
/// captured, in order, or a message saying where the two part.
pub fn match_lines(template: &[&str], actual: &str) -> Result<Vec<u64>, String> {
    let lines: Vec<&str> = actual.lines().collect();
    if lines.len() != template.len() {
        return Err(format!(
            "expected {} lines, got {}:\n{actual}",
            template.len(),
            lines.len()
        ));
    }
    let mut numbers = Vec::new();
    for (i, (want, got)) in template.iter().zip(&lines).enumerate() {
        match_line(want, got, &mut numbers)
            .ok_or_else(|| format!("line {}: expected {want:?}, got {got:?}\n{actual}", i + 1))?;
    }
    Ok(numbers)
}

fn match_line(want: &str, got: &str, numbers: &mut Vec<u64>) -> Option<()> {
    let mut rest = got;
    let mut parts = want.split("{}").peekable();
    while let Some(part) = parts.next() {
        if let Some(prefix) = part.strip_suffix("{*}") {
            return rest.starts_with(prefix).then_some(());
        }
        rest = rest.strip_prefix(part)?;
        if parts.peek().is_some() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            numbers.push(rest[..digits].parse().ok()?);
            rest = &rest[digits..];
        }
    }
    rest.is_empty().then_some(())
}

/// The fields of an `NSpid:` line: the PID in each namespace, outermost first.
pub fn nspid_fields(line: &str) -> Vec<u64> {
    line.strip_prefix("NSpid:")
        .expect("an NSpid line")
        .split_whitespace()
        .map(|f| f.parse().expect("numeric NSpid field"))
        .collect()
}

/// Host PIDs of live `sleep` processes that have `arg` as an argument (not
/// ns-tool, whose command line names the same sleep).
pub fn sleepers(arg: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let mut words = cmdline.split(|&b| b == 0);
        let is_sleep = words
            .next()
            .is_some_and(|w| w == b"sleep" || w.ends_with(b"/sleep"));
        if is_sleep && words.any(|a| a == arg.as_bytes()) {
            // A zombie has an empty cmdline, so whatever matched is alive
            // or at least not yet reaped with its memory.
            found.push(pid);
        }
    }
    found
}

/// Wait up to `secs` for `cond`; true if it came true.
pub fn wait_until(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    cond()
}

/// A number no other test run uses, for marking processes (e.g. as the
/// argument of `sleep`, which takes fractions).
pub fn marker(tag: u32) -> String {
    format!("{}.{}{:03}", 900 + tag, std::process::id(), tag)
}

/// Send `sig` to `pid` (kill(2), straight to the kernel).
pub fn kill(pid: u32, sig: u32) {
    // SAFETY: kill takes two integers.
    unsafe { syscalls::syscall2(syscalls::Sysno::kill, pid as usize, sig as usize) }
        .unwrap_or_else(|e| panic!("kill({pid}, {sig}): {e}"));
}

/// Kills a process with SIGKILL if it is still running after a deadline,
/// so that a test of a broken build fails instead of hanging. Dropping the
/// watchdog calls it off.
pub struct Watchdog(std::sync::Arc<std::sync::atomic::AtomicBool>);

pub fn watchdog(pid: u32, secs: u64) -> Watchdog {
    use std::sync::atomic::{AtomicBool, Ordering};
    let off = std::sync::Arc::new(AtomicBool::new(false));
    let flag = off.clone();
    std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        while std::time::Instant::now() < deadline {
            if flag.load(Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        if !flag.load(Ordering::SeqCst) {
            eprintln!("watchdog: process {pid} still running after {secs} s; killing it");
            // SAFETY: kill takes two integers.
            let _ = unsafe { syscalls::syscall2(syscalls::Sysno::kill, pid as usize, 9) };
        }
    });
    Watchdog(off)
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// wait4(-1, &status, options|__WALL, NULL): collect any child of the test
/// process (with WNOHANG: `Ok(0)` if some remain but none has ended).
pub fn wait_any(options: u32) -> Result<usize, syscalls::Errno> {
    let mut status = 0i32;
    // SAFETY: a live status word; rusage is null.
    unsafe {
        syscalls::syscall4(
            syscalls::Sysno::wait4,
            -1isize as usize,
            &mut status as *mut i32 as usize,
            (options | linux_raw_sys::general::__WALL) as usize,
            0,
        )
    }
}

/// The children of `pid`, from /proc (oldest first).
pub fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}
