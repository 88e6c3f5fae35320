//! `ns-tool pid`: create a PID namespace and show, from both sides, what
//! happens to process IDs (docs/01-pid-namespace.md); or run a COMMAND as
//! the namespace's PID 1. The namespace, fork and supervision are the
//! engine's (src/engine/); this file holds the demonstration.

use core::ffi::CStr;

use linux_raw_sys::general::{O_CLOEXEC, O_RDONLY};

use crate::engine::{self, Demo, Spec};
use crate::error::{Error, EXIT_FAILURE};
use crate::rt::argv::Argv;
use crate::rt::out::{self, out, say};
use crate::sys::names::{put_errno_text, put_signal};
use crate::sys::{self, Errno, WaitStatus};
use crate::text::{Buf, Packed};

/// The demonstration, as the engine calls it.
struct PidDemo;

impl Demo for PidDemo {
    fn forked(child: i32) {
        parent_report(child)
    }
    fn ended(child: i32, status: WaitStatus) -> Result<i32, Error> {
        parent_done(child, status)
    }
    fn inside() -> Result<i32, Error> {
        demo()
    }
}

/// Run `ns-tool pid` as process `me`; `init` too (`spec.newpid` false),
/// so that the engine is built once.
pub fn run(spec: &Spec, argv: &Argv, me: i32) -> Result<i32, Error> {
    engine::run::<PidDemo>(spec, argv, me)
}

fn parent_report(child: i32) {
    out(|b| {
        b.p(t!("Parent: spawned child with PID "))
            .dec(child.into())
            .p(t!(" (in parent namespace)"));
    });
    say_link(t!("Parent: PID namespace: "), c"/proc/self/ns/pid");
    say_link(
        t!("Parent: PID namespace for children: "),
        c"/proc/self/ns/pid_for_children",
    );
}

fn parent_done(child: i32, status: WaitStatus) -> Result<i32, Error> {
    let (code, what) = match status {
        WaitStatus::Exited(code) => (i32::from(code), None),
        WaitStatus::Signaled(sig) => (128 + i32::from(sig), Some(u32::from(sig))),
        WaitStatus::Stopped(_) | WaitStatus::Other(_) => (EXIT_FAILURE, Some(0)),
    };
    out(|b| {
        b.p(t!("Parent: child ")).dec(child.into());
        match what {
            None => {
                b.p(t!(" exited with status ")).dec(code.into());
            }
            Some(0) => {
                b.p(t!(" ended in an unexpected state"));
            }
            Some(sig) => {
                b.p(t!(" was killed by signal "))
                    .udec(sig.into())
                    .p(t!(" ("));
                match sys::names::signal(sig) {
                    Some(_) => put_signal(b, sig),
                    None => {
                        b.p(t!("unknown"));
                    }
                }
                b.byte(b')');
            }
        }
    });
    out::stdout_result().map(|()| code)
}

/// The demonstration, as PID 1 of the innermost namespace.
fn demo() -> Result<i32, Error> {
    let pid = sys::getpid();
    let ppid = sys::getppid();
    say(t!(""));
    say(t!("=== Inside PID Namespace ==="));
    out(|b| {
        b.p(t!("PID inside namespace: ")).dec(pid.into());
    });
    out(|b| {
        b.p(t!("Parent PID inside namespace: ")).dec(ppid.into());
    });
    let ok = pid == 1;
    if ok {
        say(t!("Success! We are PID 1 in the new namespace"));
    } else {
        out::err(|b| {
            b.p(t!(
                "ns-tool: expected PID 1 inside the new namespace, got PID "
            ))
            .dec(pid.into());
        });
    }
    say_link(t!("PID namespace: "), c"/proc/self/ns/pid");
    out(nspid);
    say(t!(""));
    say(t!("You can verify isolation by checking /proc:"));
    say(t!("  - /proc/self/status | grep NSpid"));
    say(t!("  - ls /proc (shows only processes in this namespace)"));
    say(t!("==========================="));
    say(t!(""));
    out::stdout_result().map(|()| if ok { 0 } else { EXIT_FAILURE })
}

/// One line: `label` and a symbolic link's target (a function of its own,
/// for size: three lines are built so).
fn say_link(label: Packed, path: &CStr) {
    out(|b| link(b.p(label), path));
}

/// Write a symbolic link's target, or why it could not be read.
fn link(b: &mut Buf, path: &CStr) {
    let mut buf = [0u8; 64];
    match sys::readlink(path, &mut buf) {
        Ok(n) => {
            b.esc(&buf[..n]);
        }
        Err(e) => {
            b.p(t!("unavailable ("));
            put_errno_text(b, e);
            b.byte(b')');
        }
    }
}

/// Write the `NSpid:` line of /proc/self/status: this process's PID in
/// each PID namespace it belongs to, outermost first.
fn nspid(b: &mut Buf) {
    let mut status = [0u8; 4096];
    let got = sys::open(c"/proc/self/status", O_RDONLY | O_CLOEXEC)
        .and_then(|fd| sys::read_full(fd.raw(), &mut status));
    match got.and_then(|n| status_field(&status[..n], b"NSpid:").ok_or(Errno::ENOENT)) {
        Ok(line) => {
            b.esc(line);
        }
        Err(e) => {
            b.p(t!("NSpid: unavailable (/proc/self/status: "));
            put_errno_text(b, e);
            b.byte(b')');
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
    fn a_link_that_cannot_be_read_says_why() {
        let mut b = Buf::new();
        link(&mut b, c"/nonexistent/ns/pid");
        assert_eq!(
            b.as_bytes(),
            b"unavailable (No such file or directory (ENOENT))"
        );
    }
}
