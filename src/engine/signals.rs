//! Signals: the sets a supervising ns-tool works with, and what another
//! process does with a signal (from /proc). Their names are in
//! `sys::names`.
//!
//! docs/signals.md explains the rules these sets serve.

use linux_raw_sys::general::{
    SIGCHLD, SIGCONT, SIGHUP, SIGINT, SIGKILL, SIGQUIT, SIGSTOP, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU,
};

use crate::sys::SigSet;

/// Everything a supervising ns-tool blocks and waits for: every signal
/// but SIGKILL and SIGSTOP, which cannot be caught. (A real fault in
/// ns-tool itself still kills it: the kernel unblocks a fault signal it
/// raises.) Less whatever the caller ignored: see [`Inherited`].
pub const CATCHABLE: SigSet = SigSet(!SigSet::of(&[SIGKILL, SIGSTOP]).0);

/// Signals whose default action ends a process. A namespace's PID 1 with
/// no handler for one of them never sees it: the kernel drops it.
pub const TERMINATING: SigSet = SigSet::of(&[SIGHUP, SIGINT, SIGQUIT, SIGTERM]);

/// The job-control stops: Ctrl-Z, and a background read or write.
pub const JOB_STOP: SigSet = SigSet::of(&[SIGTSTP, SIGTTIN, SIGTTOU]);

/// What the terminal sentinel passes on to its ns-tool: the signals the
/// terminal sends that a namespace's PID 1 may drop, and the stops.
pub const WATCHED: SigSet = SigSet(TERMINATING.0 | JOB_STOP.0);

/// The signal state ns-tool was started with, which COMMAND must get
/// back: the blocked mask, and which signals the caller ignored (`nohup`
/// ignores SIGHUP; a shell ignores SIGINT and SIGQUIT in `cmd &`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Inherited {
    /// The signal mask before ns-tool blocked anything.
    pub mask: SigSet,
    /// The signals whose disposition was SIG_IGN.
    pub ignored: SigSet,
}

impl Inherited {
    /// The signals a supervisor waits for: all it can catch, less those
    /// the caller ignored on purpose (blocking them would queue them, and
    /// ns-tool would act on them). SIGCHLD is always waited for: ns-tool
    /// resets it to the default first (see [`Inherited::chld_ignored`]).
    pub fn waited(&self) -> SigSet {
        SigSet(CATCHABLE.0 & !self.ignored.0 | SigSet::of(&[SIGCHLD]).0)
    }

    /// Whether SIGCHLD was ignored: then the kernel reaps children itself
    /// and sends no SIGCHLD at all, so ns-tool must set it back to the
    /// default for itself, and to ignored again for COMMAND.
    pub fn chld_ignored(&self) -> bool {
        self.ignored.contains(SIGCHLD)
    }
}

/// What the supervision loop does to signals before passing them on, and
/// to COMMAND's exit status: the options `init` and `pid` share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relay {
    /// `--group` (tini -g): signal COMMAND's whole process group.
    pub group: bool,
    /// `--rewrite S:T` (dumb-init -r): entry S-1 is T, or [`DROP`]; 0
    /// leaves S as it is.
    pub rewrite: [u8; 64],
    /// `--exit-zero N` (tini -e): bit N set: COMMAND's status N means 0.
    pub exit_zero: [u32; 8],
}

/// A rewrite to this drops the signal.
pub const DROP: u8 = 0xff;

impl Default for Relay {
    fn default() -> Self {
        Relay {
            group: false,
            rewrite: [0; 64],
            exit_zero: [0; 8],
        }
    }
}

impl Relay {
    /// What `sig` becomes; `None`: drop it.
    pub fn signal(&self, sig: u32) -> Option<u32> {
        match self.rewrite.get(sig as usize - 1).copied() {
            Some(DROP) => None,
            Some(0) | None => Some(sig),
            Some(to) => Some(to.into()),
        }
    }

    /// ns-tool's exit status for COMMAND's status `code`.
    pub fn status(&self, code: i32) -> i32 {
        let bit = |c: usize| self.exit_zero[c / 32] >> (c % 32) & 1 != 0;
        match usize::try_from(code) {
            Ok(c) if c < 256 && bit(c) => 0,
            _ => code,
        }
    }

    /// Take `--rewrite`'s value, `S:T`. False if it is not one.
    pub fn add_rewrite(&mut self, spec: &[u8]) -> bool {
        let colon = spec.iter().position(|&b| b == b':').unwrap_or(spec.len());
        // `to` keeps the colon, if any.
        let (from, to) = spec.split_at(colon);
        match (signal_number(from), to.get(1..).and_then(signal_number)) {
            (Some(from @ 1..), Some(to)) => {
                // (The mask: no bounds check, as `from` is at most 64.)
                self.rewrite[(from as usize - 1) & 63] = if to == 0 { DROP } else { to as u8 };
                true
            }
            _ => false,
        }
    }

    /// Take `--exit-zero`'s value, 0 to 255. False if it is not one.
    pub fn add_exit_zero(&mut self, code: &[u8]) -> bool {
        match number(code) {
            Some(c @ 0..=255) => {
                self.exit_zero[c as usize / 32] |= 1 << (c % 32);
                true
            }
            _ => false,
        }
    }
}

/// A signal as a user writes it for `--rewrite`: its number, 0 to 64 (as
/// dumb-init takes it; `ns-tool syscalls` and kill -l list them).
pub fn signal_number(word: &[u8]) -> Option<u32> {
    number(word).filter(|&n| n <= 64)
}

/// A decimal number of at most three digits.
pub fn number(digits: &[u8]) -> Option<u32> {
    number_of(digits, 3)
}

/// A decimal number of at most `most` digits (7 for a PID: PID_MAX_LIMIT
/// is 4194304); callers check the range.
pub fn number_of(digits: &[u8], most: usize) -> Option<u32> {
    if digits.is_empty() || digits.len() > most {
        return None;
    }
    digits.iter().try_fold(0, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
    })
}

/// What a process does with each signal, from its `/proc/PID/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dispositions {
    /// `SigBlk`: blocked (the kernel queues these, even for a PID 1).
    pub blocked: SigSet,
    /// `SigIgn`: ignored.
    pub ignored: SigSet,
    /// `SigCgt`: caught by a handler.
    pub caught: SigSet,
}

impl Dispositions {
    /// Parse the `SigBlk`, `SigIgn` and `SigCgt` lines of a status file.
    /// `None` if any is missing or malformed.
    pub fn parse(status: &[u8]) -> Option<Self> {
        let mask = |key: &[u8]| {
            let line = status.split(|&b| b == b'\n').find(|l| l.starts_with(key))?;
            parse_hex(line[key.len()..].trim_ascii()).map(SigSet)
        };
        Some(Dispositions {
            blocked: mask(b"SigBlk:")?,
            ignored: mask(b"SigIgn:")?,
            caught: mask(b"SigCgt:")?,
        })
    }

    /// Whether the process runs the default action for `sig`: no handler,
    /// not ignored, not blocked. For a namespace's PID 1, such a signal
    /// from inside the namespace or from the terminal is dropped.
    pub fn default_action(&self, sig: u32) -> bool {
        !self.blocked.contains(sig) && !self.ignored.contains(sig) && !self.caught.contains(sig)
    }
}

fn parse_hex(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        let v = (d as char).to_digit(16)?;
        Some(n << 4 | u64::from(v))
    })
}

/// Whether a death by `sig` deserves a line on stderr. Shells say nothing
/// when a job dies of SIGINT (the user pressed Ctrl-C) or SIGPIPE (its
/// reader went away, as in `| head`); they report every other signal.
pub fn worth_a_line(sig: u32) -> bool {
    sig != SIGINT && sig != linux_raw_sys::general::SIGPIPE
}

/// `SIGCONT` is never passed on: the top ns-tool resumes the whole job.
pub const RESUME: u32 = SIGCONT;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets() {
        assert!(CATCHABLE.contains(SIGTERM) && CATCHABLE.contains(64));
        assert!(!CATCHABLE.contains(SIGKILL) && !CATCHABLE.contains(SIGSTOP));
        assert!(TERMINATING.contains(SIGINT) && !TERMINATING.contains(10));
        assert!(WATCHED.contains(SIGTSTP) && WATCHED.contains(SIGQUIT));
        assert_eq!(SigSet::of(&[1, 64]).0, 1 | 1 << 63);
    }

    #[test]
    fn signals_by_number() {
        for (word, sig) in [
            (&b"15"[..], Some(15)),
            (b"0", Some(0)),
            (b"64", Some(64)),
            (b"65", None),
            (b"TERM", None),
            (b"SIGTERM", None),
            (b"", None),
            (b"-1", None),
            (b"0015", None),
        ] {
            assert_eq!(
                signal_number(word),
                sig,
                "{}",
                String::from_utf8_lossy(word)
            );
        }
    }

    #[test]
    fn rewrites_and_drops() {
        let mut r = Relay::default();
        assert!(r.add_rewrite(b"15:3") && r.add_rewrite(b"10:0"));
        assert_eq!(r.signal(SIGTERM), Some(SIGQUIT));
        assert_eq!(r.signal(10), None);
        assert_eq!(r.signal(SIGINT), Some(SIGINT));
        assert_eq!(r.signal(64), Some(64));
        for bad in [
            &b"15"[..],
            b"0:15",
            b"15:",
            b":1",
            b"15:3:1",
            b"99:1",
            b"TERM:QUIT",
        ] {
            assert!(!r.add_rewrite(bad), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn exit_codes_that_mean_success() {
        let mut r = Relay::default();
        assert!(r.add_exit_zero(b"143") && r.add_exit_zero(b"0") && r.add_exit_zero(b"255"));
        assert_eq!((r.status(143), r.status(255), r.status(1)), (0, 0, 1));
        for bad in [&b"256"[..], b"-1", b"", b"1x", b"1000"] {
            assert!(!r.add_exit_zero(bad), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(Relay::default().status(143), 143);
    }

    #[test]
    fn ignored_signals_are_not_waited_for_but_sigchld_always_is() {
        let inh = Inherited {
            mask: SigSet(0),
            ignored: SigSet::of(&[SIGINT, SIGQUIT, SIGCHLD]),
        };
        let w = inh.waited();
        assert!(!w.contains(SIGINT) && !w.contains(SIGQUIT));
        assert!(w.contains(SIGCHLD) && w.contains(SIGTERM));
        assert!(inh.chld_ignored());
        assert!(!Inherited::default().chld_ignored());
    }

    #[test]
    fn dispositions_from_status() {
        let status = b"Name:\tsleep\nSigQ:\t0/63\nSigPnd:\t0000000000000000\n\
            SigBlk:\t0000000000010000\nSigIgn:\t0000000000000004\n\
            SigCgt:\t0000000000004002\nCapInh:\t0\n";
        let d = Dispositions::parse(status).unwrap();
        assert!(d.blocked.contains(SIGCHLD));
        assert!(d.ignored.contains(SIGQUIT));
        assert!(d.caught.contains(SIGINT) && d.caught.contains(SIGTERM));
        assert!(!d.default_action(SIGINT));
        assert!(!d.default_action(SIGQUIT));
        assert!(d.default_action(SIGHUP));
        assert_eq!(Dispositions::parse(b"SigBlk:\tzz\n"), None);
        assert_eq!(Dispositions::parse(b""), None);
    }

    #[test]
    fn quiet_deaths() {
        assert!(!worth_a_line(SIGINT));
        assert!(!worth_a_line(13));
        assert!(worth_a_line(SIGTERM) && worth_a_line(SIGKILL));
    }
}
