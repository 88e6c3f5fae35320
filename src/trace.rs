//! `--trace`: every system call ns-tool makes, printed to stderr as it
//! happens, by the raw-syscall layer itself (so no call can slip past):
//!
//! ```text
//! [host 4242] unshare(CLONE_NEWPID) = 0  (x86_64 #272)
//! [ns 1 | host 4243] getppid() = 0  (x86_64 #110)
//! ```
//!
//! Each line names the process (its PID in its own namespace and as its
//! parent's namespace sees it), the call with decoded arguments, the result
//! or the errno name, and the syscall number on this architecture. When
//! tracing is off, each wrapper pays one relaxed atomic load.
//!
//! The trace's own writes to stderr go straight to the kernel and are not
//! traced themselves.

use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};

use syscalls::{raw, Errno, Sysno};

use crate::out::{Escaped, Line, STDERR};

static ENABLED: AtomicBool = AtomicBool::new(false);
/// Nesting level of this process's PID namespace below ns-tool's (0: the
/// namespace ns-tool started in, called "host").
static LEVEL: AtomicU32 = AtomicU32::new(0);
/// This process's PID in its own namespace (0: not known yet).
static PID: AtomicU32 = AtomicU32::new(0);
/// This process's PID as its parent's namespace numbers it.
static OUTER: AtomicU32 = AtomicU32::new(0);
/// Set in a new child until it learns who it is.
static NEWBORN: AtomicBool = AtomicBool::new(false);

/// The architecture name printed beside syscall numbers.
pub const ARCH: &str = if cfg!(target_arch = "x86_64") {
    "x86_64"
} else if cfg!(target_arch = "aarch64") {
    "aarch64"
} else {
    "this arch"
};

/// Whether `--trace` is on.
#[inline(always)]
pub fn enabled() -> bool {
    ENABLED.load(Relaxed)
}

/// Turn tracing on.
pub fn enable() {
    ENABLED.store(true, Relaxed);
}

/// getpid() answered `pid`: the first time, in the process ns-tool
/// started as, that names it.
pub fn learned_pid(pid: usize) {
    if PID.load(Relaxed) == 0 {
        PID.store(pid as u32, Relaxed);
    }
}

/// Just forked: until told otherwise, this is "a child of" the process it
/// was copied from.
pub fn forked_child() {
    NEWBORN.store(true, Relaxed);
}

/// This process is PID 1 of a new namespace one level further down, and
/// its parent knows it as `outer`.
pub fn entered_namespace(outer: u32) {
    // ns-tool is single-threaded: a load and a store. No atomic RMW: on
    // aarch64 it would call out-of-line helpers that need libc's getauxval.
    LEVEL.store(LEVEL.load(Relaxed) + 1, Relaxed);
    PID.store(1, Relaxed);
    OUTER.store(outer, Relaxed);
    NEWBORN.store(false, Relaxed);
}

/// The `[...]` prefix naming the calling process.
struct Label;

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (level, pid, outer) = (LEVEL.load(Relaxed), PID.load(Relaxed), OUTER.load(Relaxed));
        f.write_str("[")?;
        if NEWBORN.load(Relaxed) {
            f.write_str("child of ")?;
        }
        match level {
            0 => write!(f, "host {pid}")?,
            1 => write!(f, "ns {pid} | host {outer}")?,
            n => write!(f, "ns{n} {pid} | ns{} {outer}", n - 1)?,
        }
        f.write_str("]")
    }
}

/// Print one trace line: `[who] call = result  (arch #nr)`.
pub fn line(nr: Sysno, call: fmt::Arguments, result: &dyn fmt::Display) {
    let mut text = Line::format(format_args!(
        "{Label} {call} = {result}  ({ARCH} #{})",
        nr.id()
    ));
    emit(&mut text);
}

/// Print a line for a call that does not return on success (execve,
/// exit_group), before making it.
pub fn entry(nr: Sysno, call: fmt::Arguments) {
    let mut text = Line::format(format_args!("{Label} {call} = ?  ({ARCH} #{})", nr.id()));
    emit(&mut text);
}

fn emit(text: &mut Line) {
    // A line too long for the buffer ends in "...", still one line.
    text.finish();
    let bytes = text.as_bytes();
    // Straight to the kernel: tracing the trace would never end.
    // SAFETY: a live byte slice.
    unsafe {
        raw::syscall3(
            Sysno::write as usize,
            STDERR as usize,
            bytes.as_ptr() as usize,
            bytes.len(),
        )
    };
}

/// Shows a syscall result the way strace does: the value, or `-1 ENAME`.
pub struct Ret<'a>(pub &'a Result<usize, Errno>);

impl fmt::Display for Ret<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Ok(v) => write!(f, "{v}"),
            Err(e) => ErrnoRet(*e).fmt(f),
        }
    }
}

/// Shows an errno as `-1 ENAME (text)`.
pub struct ErrnoRet(pub Errno);

impl fmt::Display for ErrnoRet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match crate::errno::describe(self.0) {
            Some((name, text)) => write!(f, "-1 {name} ({text})"),
            None => write!(f, "-1 errno {}", self.0.into_raw()),
        }
    }
}

/// Shows a bit mask as `NAME|NAME|0x..`, or `0`.
pub struct Flags<'a>(pub u64, pub &'a [(u64, &'a str)]);

impl fmt::Display for Flags<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        let mut first = true;
        for &(bit, name) in self.1 {
            if bit != 0 && rest & bit == bit {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                rest &= !bit;
                first = false;
            }
        }
        if rest != 0 || first {
            if !first {
                f.write_str("|")?;
            }
            write!(f, "{rest:#x}")?;
        }
        Ok(())
    }
}

/// Shows a C string argument quoted, as strace does.
pub struct Quoted<'a>(pub &'a [u8]);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", Escaped(self.0))
    }
}

/// Shows a signal number by name (`SIGTERM`), or the number.
pub struct Sig(pub u32);

impl fmt::Display for Sig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match crate::signals::name(self.0) {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

/// Shows a signal set as `[SIGINT SIGTERM]`, or, when it holds more than
/// half of the 64 signals, by what it lacks: `~[SIGKILL SIGSTOP]` (as
/// strace does).
pub struct SigSetText(pub u64);

impl fmt::Display for SigSetText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (bits, open) = if self.0.count_ones() > 32 {
            (!self.0, "~[")
        } else {
            (self.0, "[")
        };
        f.write_str(open)?;
        let mut first = true;
        for sig in 1..=64u32 {
            if bits & (1 << (sig - 1)) != 0 {
                if !first {
                    f.write_str(" ")?;
                }
                Sig(sig).fmt(f)?;
                first = false;
            }
        }
        f.write_str("]")
    }
}

/// Trace a call whose result is a plain `Result<usize, Errno>`.
#[macro_export]
macro_rules! traced {
    ($nr:expr, $ret:expr, $($fmt:tt)*) => {
        if $crate::trace::enabled() {
            $crate::trace::line($nr, format_args!($($fmt)*), &$crate::trace::Ret(&$ret));
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn flags_are_named() {
        let table = [(0x1, "A"), (0x2, "B"), (0x10, "C")];
        assert_eq!(format!("{}", Flags(0x3, &table)), "A|B");
        assert_eq!(format!("{}", Flags(0x21, &table)), "A|0x20");
        assert_eq!(format!("{}", Flags(0, &table)), "0x0");
    }

    #[test]
    fn results_and_signals() {
        assert_eq!(format!("{}", Ret(&Ok(4243))), "4243");
        assert_eq!(
            format!("{}", Ret(&Err(Errno::EPERM))),
            "-1 EPERM (Operation not permitted)"
        );
        assert_eq!(format!("{}", Sig(15)), "SIGTERM");
        assert_eq!(
            format!("{}", SigSetText(1 << 1 | 1 << 14)),
            "[SIGINT SIGTERM]"
        );
        assert_eq!(
            format!("{}", SigSetText(!(1 << 8 | 1 << 18))),
            "~[SIGKILL SIGSTOP]"
        );
        assert_eq!(
            format!("{}", Quoted(b"/proc/self/ns/pid")),
            "\"/proc/self/ns/pid\""
        );
    }
}
