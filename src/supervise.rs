//! The supervision loop, used by every ns-tool process that has a child to
//! look after: the host-side parent, each outer level of `--nest`, and
//! ns-tool as the namespace's PID 1 under `--init`.
//!
//! One readable loop, as in tini: with the handled signals blocked, wait
//! for the next one with rt_sigtimedwait. SIGCHLD means "reap"; any other
//! signal is passed on to the child. Blocking (rather than installing
//! handlers) is what makes this work for a namespace's PID 1 too: the
//! kernel drops signals that PID 1 has no handler for, but it queues
//! blocked ones.

use linux_raw_sys::general::{__WALL, SIGKILL, SIG_BLOCK, SIG_SETMASK, WNOHANG};

use crate::errln;
use crate::error::Error;
use crate::signals::{self, HANDLED, TERMINATING};
use crate::sys::{self, Errno, SigSet, WaitStatus};

/// Block the signals the loop waits for; returns the previous mask, which
/// a child must restore before it runs COMMAND. Call it before forking, so
/// that no signal can arrive between the fork and the loop.
pub fn block() -> Result<SigSet, Error> {
    sys::sigprocmask(SIG_BLOCK, &HANDLED).map_err(Error::ctx("rt_sigprocmask(SIG_BLOCK)"))
}

/// Put back the signal mask `block` replaced (in a child, before it execs
/// or runs the demonstration).
pub fn restore(old: &SigSet) -> Result<(), Error> {
    sys::sigprocmask(SIG_SETMASK, old)
        .map(drop)
        .map_err(Error::ctx("rt_sigprocmask(SIG_SETMASK)"))
}

/// How a supervisor behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Supervisor {
    /// The child whose end ends the loop.
    pub child: i32,
    /// Reap every child, not just `child`: PID 1 inherits orphans.
    pub reap_all: bool,
    /// A second terminating signal kills the child with SIGKILL (the
    /// host side: a namespace's PID 1 may ignore the first).
    pub escalate: bool,
    /// Say on stderr, at the first terminating signal, that a second one
    /// kills (when the child is a COMMAND that may ignore it as PID 1).
    pub explain: bool,
}

impl Supervisor {
    /// Run the loop until `child` has ended; returns how it ended.
    pub fn run(&self) -> Result<WaitStatus, Error> {
        let mut terminations = 0u32;
        loop {
            let sig = match sys::sigwait(&HANDLED) {
                Ok(sig) => sig,
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(Error::sys("rt_sigtimedwait", e)),
            };
            if sig == linux_raw_sys::general::SIGCHLD {
                if let Some(status) = self.reap()? {
                    return Ok(status);
                }
                continue;
            }
            if self.escalate && TERMINATING.contains(sig) {
                terminations += 1;
                if terminations > 1 {
                    let _ = errln!(
                        "ns-tool: {} again: killing the namespace (SIGKILL to its PID 1)",
                        name(sig)
                    );
                    let _ = sys::kill(self.child, SIGKILL);
                    continue;
                }
                if self.explain {
                    let again = if sig == linux_raw_sys::general::SIGINT {
                        "press Ctrl-C again"
                    } else {
                        "send it again"
                    };
                    let _ = errln!(
                        "ns-tool: passed {} on to the namespace's PID 1, which ignores signals \
                         it has no handler for; {again} to kill the namespace",
                        name(sig)
                    );
                }
            }
            // ESRCH: the child is already gone; its SIGCHLD is on the way.
            let _ = sys::kill(self.child, sig);
        }
    }

    /// Collect every child that has ended; `Some` once `child` has.
    fn reap(&self) -> Result<Option<WaitStatus>, Error> {
        let who = if self.reap_all { -1 } else { self.child };
        let mut ended = None;
        loop {
            match sys::wait4(who, WNOHANG | __WALL) {
                // Children remain, none has ended (SIGCHLDs merge: loop on).
                Ok((0, _)) => return Ok(ended),
                Ok((pid, status)) if pid == self.child => {
                    ended = Some(status);
                    if !self.reap_all {
                        return Ok(ended);
                    }
                }
                Ok(_) => {}
                Err(Errno::EINTR) => {}
                Err(Errno::ECHILD) if self.reap_all => return Ok(ended),
                Err(e) => return Err(Error::sys("wait4", e)),
            }
        }
    }
}

fn name(sig: u32) -> &'static str {
    signals::name(sig).unwrap_or("signal")
}

/// The exit status that reports `status`, saying on stderr when a signal
/// ended `what` (128+N, as shells do).
pub fn exit_code(status: WaitStatus, what: &[u8]) -> i32 {
    match status {
        WaitStatus::Exited(code) => i32::from(code),
        WaitStatus::Signaled(sig) => {
            let _ = errln!(
                "ns-tool: {} was killed by signal {sig} ({})",
                crate::out::Escaped(what),
                name(u32::from(sig))
            );
            128 + i32::from(sig)
        }
        WaitStatus::Other(_) => crate::error::EXIT_FAILURE,
    }
}
