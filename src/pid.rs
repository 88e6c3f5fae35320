//! `ns-tool pid`: create a PID namespace and show, from both sides, what
//! happens to process IDs.
//!
//! 1. unshare(CLONE_NEWPID): this process stays in its namespace, but its
//!    next child is born into a new one.
//! 2. fork: the child is PID 1 of the new namespace; its parent lives
//!    outside, so getppid() says 0.
//! 3. The parent prints the child's PID as it sees it, then lets the child
//!    speak (a pipe keeps the order of lines fixed), then reaps it with wait4
//!    and exits with the child's status.

use core::ffi::CStr;

use linux_raw_sys::general::{CLONE_NEWPID, O_CLOEXEC, O_RDONLY};

use crate::error::{Error, WRITE_STDOUT};
use crate::out::{signal_name, ErrnoText, Escaped};
use crate::sys::{self, Errno, Fd, Fork, WaitStatus};
use crate::{errln, outln};

const EPERM_HINT: &str = "creating a PID namespace requires root (CAP_SYS_ADMIN); run it with sudo";

/// Run the demonstration; returns the exit status for ns-tool (the child's).
pub fn run() -> Result<i32, Error> {
    outln!("Creating new PID namespace...").map_err(stdout_err)?;
    sys::unshare(CLONE_NEWPID)
        .map_err(|e| Error::sys("unshare(CLONE_NEWPID)", e).hint_on(Errno::EPERM, EPERM_HINT))?;
    outln!("PID namespace created. Forking child process...").map_err(stdout_err)?;

    // The child blocks on `go` until the parent has printed its lines and
    // closed `ready`; then the output reads the same on every run.
    let (go, ready) = sys::pipe(O_CLOEXEC).map_err(Error::ctx("pipe2"))?;
    match sys::fork().map_err(Error::ctx("fork"))? {
        Fork::Child => {
            drop(ready);
            let code = child(go).unwrap_or_else(|e| e.report("ns-tool: child"));
            // Never return into the parent's code path.
            sys::exit_group(code)
        }
        Fork::Parent(pid) => {
            drop(go);
            parent(pid, ready)
        }
    }
}

fn stdout_err(e: Errno) -> Error {
    Error::sys(WRITE_STDOUT, e)
}

fn parent(child: i32, ready: Fd) -> Result<i32, Error> {
    let shown = parent_report(child);
    // Whatever happened to our output, release and reap the child.
    drop(ready);
    let status = reap(child)?;
    shown?;
    match status {
        WaitStatus::Exited(code) => {
            outln!("Parent: child {child} exited with status {code}").map_err(stdout_err)?;
            Ok(i32::from(code))
        }
        WaitStatus::Signaled(sig) => {
            outln!(
                "Parent: child {child} was killed by signal {sig} ({})",
                signal_name(sig).unwrap_or("unknown")
            )
            .map_err(stdout_err)?;
            Ok(128 + i32::from(sig))
        }
        WaitStatus::Other(raw) => {
            outln!("Parent: child {child} changed state (wait status {raw:#x})")
                .map_err(stdout_err)?;
            Ok(crate::error::EXIT_FAILURE)
        }
    }
}

fn parent_report(child: i32) -> Result<(), Error> {
    outln!("Parent: spawned child with PID {child} (in parent namespace)").map_err(stdout_err)?;
    let mut buf = [0u8; 64];
    outln!(
        "Parent: PID namespace: {}",
        Link::read(c"/proc/self/ns/pid", &mut buf)
    )
    .map_err(stdout_err)?;
    outln!(
        "Parent: PID namespace for children: {}",
        Link::read(c"/proc/self/ns/pid_for_children", &mut buf)
    )
    .map_err(stdout_err)
}

/// wait4 for `child`, retrying when a signal interrupts the wait.
fn reap(child: i32) -> Result<WaitStatus, Error> {
    loop {
        match sys::wait4(child, 0) {
            Ok((_, status)) => return Ok(status),
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(Error::sys("wait4", e)),
        }
    }
}

fn child(go: Fd) -> Result<i32, Error> {
    // Wait for the parent: end of file once it has closed its end.
    let mut byte = [0u8; 1];
    sys::read_full(go.raw(), &mut byte).map_err(Error::ctx("read(pipe)"))?;
    drop(go);

    let pid = sys::getpid();
    let ppid = sys::getppid();
    outln!("").map_err(stdout_err)?;
    outln!("=== Inside PID Namespace ===").map_err(stdout_err)?;
    outln!("PID inside namespace: {pid}").map_err(stdout_err)?;
    outln!("Parent PID inside namespace: {ppid}").map_err(stdout_err)?;
    let ok = pid == 1;
    if ok {
        outln!("Success! We are PID 1 in the new namespace").map_err(stdout_err)?;
    } else {
        let _ = errln!("ns-tool: expected PID 1 inside the new namespace, got PID {pid}");
    }
    let mut buf = [0u8; 64];
    outln!(
        "PID namespace: {}",
        Link::read(c"/proc/self/ns/pid", &mut buf)
    )
    .map_err(stdout_err)?;
    let mut status = [0u8; 4096];
    outln!("{}", NsPid::read(&mut status)).map_err(stdout_err)?;
    outln!("").map_err(stdout_err)?;
    outln!("You can verify isolation by checking /proc:").map_err(stdout_err)?;
    outln!("  - /proc/self/status | grep NSpid").map_err(stdout_err)?;
    outln!("  - ls /proc (shows only processes in this namespace)").map_err(stdout_err)?;
    outln!("===========================").map_err(stdout_err)?;
    outln!("").map_err(stdout_err)?;
    Ok(if ok { 0 } else { crate::error::EXIT_FAILURE })
}

/// A symbolic link's target, or why it could not be read.
struct Link<'a>(Result<&'a [u8], Errno>);

impl<'a> Link<'a> {
    fn read(path: &CStr, buf: &'a mut [u8]) -> Self {
        Link(sys::readlink(path, buf).map(|n| &buf[..n]))
    }
}

impl core::fmt::Display for Link<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Ok(target) => write!(f, "{}", Escaped(target)),
            Err(e) => write!(f, "unavailable ({})", ErrnoText(e)),
        }
    }
}

/// The `NSpid:` line of /proc/self/status: this process's PID in each PID
/// namespace it belongs to, outermost first.
struct NsPid<'a>(Result<&'a [u8], Errno>);

impl<'a> NsPid<'a> {
    fn read(buf: &'a mut [u8]) -> Self {
        let got = sys::open(c"/proc/self/status", O_RDONLY | O_CLOEXEC)
            .and_then(|fd| sys::read_full(fd.raw(), buf));
        NsPid(got.and_then(|n| status_field(&buf[..n], b"NSpid:").ok_or(Errno::ENOENT)))
    }
}

impl core::fmt::Display for NsPid<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Ok(line) => write!(f, "{}", Escaped(line)),
            Err(e) => write!(
                f,
                "NSpid: unavailable (/proc/self/status: {})",
                ErrnoText(e)
            ),
        }
    }
}

/// The whole line of a `/proc/<pid>/status` text that starts with `key`
/// (e.g. `b"NSpid:"`), without its newline.
pub fn status_field<'a>(status: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    status
        .split(|&b| b == b'\n')
        .find(|line| line.starts_with(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &[u8] =
        b"Name:\tns-tool\nTgid:\t4243\nPid:\t4243\nPPid:\t0\nNSpid:\t4243\t1\nNSsid:\t1\n";

    #[test]
    fn finds_nspid_line() {
        assert_eq!(
            status_field(STATUS, b"NSpid:"),
            Some(&b"NSpid:\t4243\t1"[..])
        );
        assert_eq!(status_field(STATUS, b"PPid:"), Some(&b"PPid:\t0"[..]));
    }

    #[test]
    fn missing_field_is_none() {
        assert_eq!(status_field(b"Name:\tx\n", b"NSpid:"), None);
        assert_eq!(status_field(b"", b"NSpid:"), None);
    }

    #[test]
    fn nspid_display_when_unavailable() {
        let s = std::format!("{}", NsPid(Err(Errno::ENOENT)));
        assert_eq!(
            s,
            "NSpid: unavailable (/proc/self/status: No such file or directory (ENOENT))"
        );
    }

    #[test]
    fn link_display() {
        assert_eq!(
            std::format!("{}", Link(Ok(b"pid:[4026531836]"))),
            "pid:[4026531836]"
        );
        assert_eq!(
            std::format!("{}", Link(Err(Errno::ENOENT))),
            "unavailable (No such file or directory (ENOENT))"
        );
    }
}
