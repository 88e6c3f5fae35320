//! Job control: the terminal, process groups, and the sentinel.
//!
//! COMMAND runs in a process group of its own (led by the namespace's
//! first process), which gets the terminal when ns-tool is in the
//! foreground, as tini does. So the terminal's Ctrl-C, Ctrl-Z and
//! resizes reach COMMAND once, directly, and never ns-tool; a `kill` of
//! ns-tool (or of its job) reaches ns-tool only, and it passes the signal
//! on, once. And inside the namespace COMMAND's group is visible, so an
//! interactive shell can take the terminal and give it back on exit.
//!
//! But the namespace's PID 1 cannot stop: the kernel drops Ctrl-Z, and a
//! background read's SIGTTIN, for a PID 1 with no handler. Someone in the
//! host's namespace must see those and stop it with SIGSTOP, which the
//! kernel does deliver from there. That is the *sentinel*: a small child
//! of ns-tool that joins COMMAND's group, blocks everything, and passes
//! on to ns-tool what the terminal sends to that group (the stops, and
//! the terminating signals a PID 1 may drop). docs/signals.md has the
//! whole set of rules.

use linux_raw_sys::general::{__WALL, SIGKILL};

use crate::error::Error;
use crate::sys::{self, Fork, SigSet};

/// Standard input, where ns-tool looks for its controlling terminal (as
/// tini does).
const STDIN: i32 = 0;

/// The controlling terminal on standard input, and ns-tool's own group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terminal {
    /// ns-tool's process group (the caller's job).
    pub group: i32,
    /// The foreground group when ns-tool started.
    pub foreground_at_start: i32,
}

impl Terminal {
    /// The terminal on standard input, if it is this process's
    /// controlling terminal.
    pub fn on_stdin() -> Option<Terminal> {
        let foreground_at_start = sys::tcgetpgrp(STDIN).ok()?;
        let group = sys::getpgid(0).ok()?;
        Some(Terminal {
            group,
            foreground_at_start,
        })
    }

    /// Whether ns-tool's group is the terminal's foreground now.
    pub fn foreground(&self) -> bool {
        sys::tcgetpgrp(STDIN) == Ok(self.group)
    }

    /// Make `group` the terminal's foreground. ns-tool blocks SIGTTOU, so
    /// this works from the background as well and never stops it.
    pub fn hand_to(&self, group: i32) {
        let _ = sys::tcsetpgrp(STDIN, group);
    }

    /// If `group` still has the terminal, give it back to ns-tool's own
    /// group, so that whoever ran ns-tool (a script, say) can read from
    /// it again without being stopped.
    pub fn take_back(&self, group: i32) {
        if sys::tcgetpgrp(STDIN) == Ok(group) {
            self.hand_to(self.group);
        }
    }
}

/// The sentinel, a child of ns-tool.
#[derive(Debug)]
pub struct Sentinel {
    /// Its PID.
    pub pid: i32,
}

impl Sentinel {
    /// Fork the sentinel. Call it before unshare(CLONE_NEWPID), so that it
    /// lives in ns-tool's own PID namespace and can signal ns-tool (`me`).
    /// It passes on the signals of `set` that reach its group, except those
    /// ns-tool sent itself.
    pub fn spawn(set: SigSet, me: i32) -> Result<Sentinel, Error> {
        match sys::fork().map_err(Error::ctx(t!("fork")))? {
            Fork::Child => watch(set, me),
            Fork::Parent(pid) => Ok(Sentinel { pid }),
        }
    }

    /// Move the sentinel into `group`, before COMMAND is let go: a parent
    /// may set the group of a child that has not exec'd, so no Ctrl-Z can
    /// come before the sentinel is there to see it.
    pub fn join(&self, group: i32) {
        let _ = sys::setpgid(self.pid, group);
    }

    /// End the sentinel and collect it.
    pub fn stop(self) {
        let _ = sys::kill(self.pid, SIGKILL);
        let _ = sys::wait4(self.pid, __WALL);
    }
}

/// What a sentinel's report carries as its value: who sent the signal to
/// COMMAND's group, or this for the kernel (the terminal). The PID is the
/// sender's own view: the kernel does not translate it for a receiver in
/// an ancestor namespace, so a PID-1 COMMAND shows as 1.
pub const FROM_TERMINAL: i32 = 0;

/// The sentinel's whole life: die with ns-tool (`parent`), and pass on
/// what reaches its group, saying who sent it.
fn watch(set: SigSet, parent: i32) -> ! {
    let _ = sys::set_pdeathsig(SIGKILL);
    // ns-tool died before the prctl: nobody to report to.
    if sys::getppid() != parent {
        sys::exit_group(0);
    }
    let me = sys::getpid();
    loop {
        // Everything was blocked before the fork: what is not in `set`
        // stays pending and harmless.
        if let Ok(info) = sys::sigwait(&set, None) {
            let sender = info.sender();
            if sender != Some(parent) {
                let from = sender.unwrap_or(FROM_TERMINAL);
                let _ = sys::sigqueue(parent, info.sig, me, from);
            }
        }
    }
}
