//! Signals: names for messages, and the sets ns-tool blocks and passes on.

use linux_raw_sys::general::{
    SIGCHLD, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH,
};

use crate::sys::SigSet;

/// Signals ns-tool passes on to the process it supervises: the ones a user
/// or a service manager sends to stop, reload or resize a program.
pub const FORWARDED: SigSet =
    SigSet::of(&[SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH]);

/// Everything a supervising ns-tool waits for: the forwarded signals and
/// SIGCHLD, which says a child has ended.
pub const HANDLED: SigSet = SigSet(FORWARDED.0 | SigSet::of(&[SIGCHLD]).0);

/// Signals whose default action ends a process: a second one while the
/// first is still unanswered makes the host-side ns-tool kill the namespace.
pub const TERMINATING: SigSet = SigSet::of(&[SIGHUP, SIGINT, SIGQUIT, SIGTERM]);

/// The name of signal `sig`, e.g. `SIGKILL`, for the signals a child can
/// die of on Linux (x86_64 and aarch64 share these numbers).
pub fn name(sig: u32) -> Option<&'static str> {
    use linux_raw_sys::general as g;
    const NAMES: [(u32, &str); 31] = [
        (g::SIGHUP, "SIGHUP"),
        (g::SIGINT, "SIGINT"),
        (g::SIGQUIT, "SIGQUIT"),
        (g::SIGILL, "SIGILL"),
        (g::SIGTRAP, "SIGTRAP"),
        (g::SIGABRT, "SIGABRT"),
        (g::SIGBUS, "SIGBUS"),
        (g::SIGFPE, "SIGFPE"),
        (g::SIGKILL, "SIGKILL"),
        (g::SIGUSR1, "SIGUSR1"),
        (g::SIGSEGV, "SIGSEGV"),
        (g::SIGUSR2, "SIGUSR2"),
        (g::SIGPIPE, "SIGPIPE"),
        (g::SIGALRM, "SIGALRM"),
        (g::SIGTERM, "SIGTERM"),
        (g::SIGSTKFLT, "SIGSTKFLT"),
        (g::SIGCHLD, "SIGCHLD"),
        (g::SIGCONT, "SIGCONT"),
        (g::SIGSTOP, "SIGSTOP"),
        (g::SIGTSTP, "SIGTSTP"),
        (g::SIGTTIN, "SIGTTIN"),
        (g::SIGTTOU, "SIGTTOU"),
        (g::SIGURG, "SIGURG"),
        (g::SIGXCPU, "SIGXCPU"),
        (g::SIGXFSZ, "SIGXFSZ"),
        (g::SIGVTALRM, "SIGVTALRM"),
        (g::SIGPROF, "SIGPROF"),
        (g::SIGWINCH, "SIGWINCH"),
        (g::SIGIO, "SIGIO"),
        (g::SIGPWR, "SIGPWR"),
        (g::SIGSYS, "SIGSYS"),
    ];
    NAMES.iter().find(|(n, _)| *n == sig).map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name(9), Some("SIGKILL"));
        assert_eq!(name(15), Some("SIGTERM"));
        assert_eq!(name(17), Some("SIGCHLD"));
        assert_eq!(name(0), None);
        assert_eq!(name(64), None);
    }

    #[test]
    fn sets() {
        assert!(FORWARDED.contains(SIGTERM) && FORWARDED.contains(SIGWINCH));
        assert!(!FORWARDED.contains(SIGCHLD));
        assert!(HANDLED.contains(SIGCHLD) && HANDLED.contains(SIGINT));
        assert!(TERMINATING.contains(SIGINT) && !TERMINATING.contains(SIGUSR1));
        assert!(!HANDLED.contains(9), "SIGKILL cannot be caught");
        assert_eq!(SigSet::of(&[1, 64]).0, 1 | 1 << 63);
    }
}
