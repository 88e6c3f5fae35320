//! `--trace`: every system call ns-tool makes, printed to stderr as it
//! happens, by [`super::call`] itself (so no call can slip past), from the
//! call's descriptor:
//!
//! ```text
//! [host 4242] unshare(CLONE_NEWPID) = 0  (x86_64 #272)
//! [ns 1 | host 4243] getppid() = 0  (x86_64 #110)
//! ```
//!
//! Each line names the process (its PID in its own namespace and as its
//! parent's namespace sees it), the call with decoded arguments, the result
//! or the errno name, and the syscall number on this architecture. When
//! tracing is off, each call pays one relaxed atomic load.
//!
//! The trace's own writes to stderr go straight to the kernel and are not
//! traced themselves.

use core::ffi::{c_char, CStr};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};

use super::names::{self, put_enum, put_errno_ret, put_flags, put_signal};
use super::{Arg, Call, Errno, Ret};
use crate::text::{Buf, Packed};

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
pub const ARCH: Packed = if cfg!(target_arch = "aarch64") {
    t!("aarch64")
} else {
    t!("x86_64")
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

/// Write the `[...]` label naming the calling process.
fn label(b: &mut Buf) {
    let (level, pid, outer) = (LEVEL.load(Relaxed), PID.load(Relaxed), OUTER.load(Relaxed));
    b.byte(b'[');
    if NEWBORN.load(Relaxed) {
        b.p(t!("child of "));
    }
    // `host P`, `ns P | host O`, `nsN P | nsM O`: the namespace of each
    // PID, named with its level only where there are two of them.
    namespace(b, level, level > 1).udec(pid.into());
    if level > 0 {
        namespace(b.p(t!(" | ")), level - 1, true).udec(outer.into());
    }
    b.byte(b']');
}

/// The namespace at `level` as the trace label names it: `host `, `ns `,
/// or with its number, `nsN `.
fn namespace(b: &mut Buf, level: u32, numbered: bool) -> &mut Buf {
    if level == 0 {
        return b.p(t!("host "));
    }
    b.p(t!("ns"));
    if numbered {
        b.udec(level.into());
    }
    b.byte(b' ')
}

/// Print one trace line, `[who] name(args) = result  (arch #nr)`; with no
/// result yet (a call that does not return), `= ?`.
///
/// # Safety
/// The pointer arguments of `a` must be valid for what `c` says they hold.
pub unsafe fn line(c: &Call, a: &[usize; 6], r: Option<Result<usize, Errno>>) {
    let mut b = Buf::new();
    label(&mut b);
    b.byte(b' ').until(&mut c.sys.name(), b'\n').byte(b'(');
    let ok = match r {
        Some(Ok(v)) => Some(v),
        _ => None,
    };
    for (i, &kind) in c.args.iter().enumerate() {
        if kind == Arg::End {
            break;
        }
        if i > 0 {
            b.p(t!(", "));
        }
        // SAFETY: the caller vouches for the pointers.
        unsafe { arg(&mut b, kind, a, a[i], ok) };
    }
    b.p(t!(") = "));
    match (r, c.ret) {
        (None, _) => {
            b.byte(b'?');
        }
        (Some(Err(e)), _) => put_errno_ret(&mut b, e),
        // SAFETY: as above.
        (Some(Ok(v)), Ret::Signal) => unsafe { signal_info(&mut b, v as u32, a[1] as *const i32) },
        (Some(Ok(v)), _) => {
            b.udec(v as u64);
        }
    }
    b.p(t!("  ("))
        .p(ARCH)
        .p(t!(" #"))
        .udec(c.sys.nr().into())
        .byte(b')');
    emit(&mut b);
}

/// Under `--trace`, a line of its own about what ns-tool does next and
/// why: `[host 4242] clone3 is refused (ENOSYS): trying clone(2)`.
pub fn note(text: Packed) {
    if enabled() {
        let mut b = Buf::new();
        label(&mut b);
        b.byte(b' ').p(text);
        emit(&mut b);
    }
}

/// End a trace line and write it to stderr.
fn emit(b: &mut Buf) {
    b.nl();
    let text = b.as_bytes();
    // Straight to the kernel: tracing the trace would never end.
    // SAFETY: a live byte slice.
    unsafe {
        syscalls::raw::syscall3(
            super::rows::write.nr().into(),
            2,
            text.as_ptr() as usize,
            text.len(),
        )
    };
}

/// Write argument `v` as `kind` says; `a` holds all the arguments, `ok`
/// the result if the call succeeded.
///
/// # Safety
/// As for [`line`].
unsafe fn arg(b: &mut Buf, kind: Arg, a: &[usize; 6], v: usize, ok: Option<usize>) {
    // SAFETY (every read below): the caller vouches that a pointer of this
    // kind points to what it says.
    unsafe {
        match kind {
            Arg::End | Arg::Int => {
                b.dec(v as isize as i64);
            }
            // One arm each for the flags and the enums, their tables in
            // the order of `Arg` (size).
            Arg::CloneFlags | Arg::WaitFlags | Arg::OpenFlags | Arg::MountFlags => {
                let tables = [names::CLONE, names::WAIT, names::OPEN, names::MOUNT];
                put_flags(
                    b,
                    v as u64,
                    tables[kind as usize - Arg::CloneFlags as usize],
                );
            }
            Arg::How | Arg::Ioctl | Arg::Prctl | Arg::Reboot | Arg::Idtype => {
                let tables = [
                    names::HOW,
                    names::IOCTL,
                    names::PRCTL,
                    names::REBOOT,
                    names::IDTYPE,
                ];
                put_enum(b, v as u64, tables[kind as usize - Arg::How as usize]);
            }
            Arg::Sig => put_signal(b, v as u32),
            Arg::SigSet | Arg::Str | Arg::Action | Arg::Timeout if v == 0 => {
                b.p(t!("NULL"));
            }
            Arg::SigSet => sigset(b, *(v as *const u64)),
            Arg::Str => {
                b.quoted(cstr(v));
            }
            Arg::Bytes => {
                let n = a[2].min(32);
                b.quoted(core::slice::from_raw_parts(v as *const u8, n));
            }
            Arg::Utsname => {
                let u = &*(v as *const super::Utsname);
                b.p(t!("{nodename="))
                    .quoted(super::field(u, super::NODENAME))
                    .p(t!(", ..}"));
            }
            Arg::Got => {
                let n = ok.unwrap_or(0);
                b.quoted(core::slice::from_raw_parts(v as *const u8, n));
            }
            Arg::Skip => {
                b.p(t!(".."));
            }
            Arg::Null => {
                b.p(t!("NULL"));
            }
            Arg::AtFdcwd => {
                b.p(t!("AT_FDCWD"));
            }
            Arg::Status => match ok {
                Some(pid) if pid > 0 => status(b, *(v as *const i32)),
                _ => {
                    b.p(t!(".."));
                }
            },
            Arg::Fds => {
                let fds = v as *const i32;
                b.byte(b'[')
                    .dec((*fds).into())
                    .p(t!(", "))
                    .dec((*fds.add(1)).into())
                    .byte(b']');
            }
            Arg::Argv => argv(b, v as *const *const c_char),
            Arg::Envp => {
                b.p(t!("envp"));
            }
            Arg::IntPtr => {
                b.byte(b'[').dec((*(v as *const i32)).into()).byte(b']');
            }
            Arg::Action => {
                b.byte(b'{');
                match *(v as *const usize) {
                    0 => b.p(t!("SIG_DFL")),
                    1 => b.p(t!("SIG_IGN")),
                    h => b.hex(h as u64),
                };
                b.byte(b'}');
            }
            Arg::Timeout => {
                let ts = v as *const u64;
                b.byte(b'{')
                    .udec(*ts)
                    .p(t!(", "))
                    .udec(*ts.add(1))
                    .byte(b'}');
            }
            Arg::Queued => {
                let info = v as *const i32;
                b.p(t!("{si_code="));
                names::put_si_code(b, *info.add(2));
                b.p(t!(", si_pid="))
                    .dec((*info.add(4)).into())
                    .p(t!(", si_int="))
                    .dec((*info.add(6)).into())
                    .byte(b'}');
            }
            // Effective, permitted, inheritable: each mask from its two
            // 32-bit halves.
            Arg::Caps => {
                let d = v as *const u32;
                b.byte(b'{');
                for i in 0..3 {
                    if i > 0 {
                        b.p(t!(", "));
                    }
                    b.hex(u64::from(*d.add(i)) | u64::from(*d.add(i + 3)) << 32);
                }
                b.byte(b'}');
            }
            // clone3's struct: flags and exit signal, words 0 and 4.
            Arg::CloneArgs => {
                let ca = v as *const u64;
                b.p(t!("{flags="));
                put_flags(b, *ca, names::CLONE);
                b.p(t!(", exit_signal="));
                put_signal(b, *ca.add(4) as u32);
                b.byte(b'}');
            }
            // waitid's siginfo: how the child changed, if it did.
            Arg::ChildInfo => {
                let info = v as *const i32;
                match *info.add(4) {
                    0 => {
                        b.p(t!("{}"));
                    }
                    _ => status(b, super::status_word(*info.add(2), *info.add(6))),
                }
            }
        }
    }
}

/// The bytes of the C string at address `v`.
///
/// # Safety
/// `v` points to a NUL-terminated string.
unsafe fn cstr<'a>(v: usize) -> &'a [u8] {
    // SAFETY: as the caller vouches.
    unsafe { CStr::from_ptr(v as *const c_char) }.to_bytes()
}

/// A signal set as `[SIGINT SIGTERM]`, or, when it holds more than half of
/// the 64 signals, by what it lacks: `~[SIGKILL SIGSTOP]` (as strace does).
pub fn sigset(b: &mut Buf, set: u64) {
    // Counted bit by bit: count_ones is some 80 bytes of bit tricks on
    // baseline x86_64 (no popcnt), and a trace line need not be fast.
    let count: u64 = (0..64).map(|i| set >> i & 1).sum();
    let (bits, open) = if count > 32 {
        (!set, t!("~["))
    } else {
        (set, t!("["))
    };
    b.p(open);
    let mut first = true;
    // Signals 1 to 64; `1..=64` would cost an out-of-line step (size).
    for sig in 1..65u32 {
        if bits & (1 << (sig - 1)) != 0 {
            if !first {
                b.byte(b' ');
            }
            put_signal(b, sig);
            first = false;
        }
    }
    b.byte(b']');
}

/// wait4's status word as strace shows it: `[exited 0]`.
fn status(b: &mut Buf, s: i32) {
    let sig = (s & 0x7f) as u32;
    let high = ((s >> 8) & 0xff) as u32;
    if sig == 0 {
        b.p(t!("[exited ")).udec(high.into());
    } else if sig != 0x7f {
        b.p(t!("[killed by "));
        put_signal(b, sig);
    } else if s as u32 & 0xffff_0000 == 0 {
        b.p(t!("[stopped by "));
        put_signal(b, high);
    } else {
        b.byte(b'[').hex(s as u32 as u64);
    }
    b.byte(b']');
}

/// execve's argv: `["sh", "-c", ..]`, at most four words.
///
/// # Safety
/// `p` is a NULL-terminated array of C strings.
unsafe fn argv(b: &mut Buf, p: *const *const c_char) {
    b.byte(b'[');
    for i in 0.. {
        // SAFETY: a NULL-terminated array, as the caller vouches.
        let word = unsafe { *p.add(i) };
        if word.is_null() {
            break;
        }
        if i > 0 {
            b.p(t!(", "));
        }
        if i == 4 {
            b.p(t!(".."));
            break;
        }
        // SAFETY: a NUL-terminated string.
        b.quoted(unsafe { cstr(word as usize) });
    }
    b.byte(b']');
}

/// rt_sigtimedwait's result: the signal and, from the siginfo it filled,
/// who sent it, as strace shows it: `SIGINT {si_code=SI_KERNEL}`,
/// `SIGTERM {si_code=SI_USER, si_pid=42}`.
///
/// # Safety
/// `info` points to a filled 128-byte siginfo_t.
unsafe fn signal_info(b: &mut Buf, sig: u32, info: *const i32) {
    // SAFETY: as the caller vouches; si_code at byte 8, si_pid at 16.
    let (code, pid) = unsafe { (*info.add(2), *info.add(4)) };
    put_signal(b, sig);
    b.p(t!(" {si_code="));
    names::put_si_code(b, code);
    // si_pid is there for signals a process sent, and for SIGCHLD.
    if matches!(code, 0 | -1 | -6) || sig == linux_raw_sys::general::SIGCHLD {
        b.p(t!(", si_pid=")).dec(pid.into());
    }
    b.byte(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(f: impl Fn(&mut Buf)) -> std::string::String {
        let mut b = Buf::new();
        f(&mut b);
        std::string::String::from_utf8(b.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn sets_and_statuses() {
        assert_eq!(shown(|b| sigset(b, 1 << 1 | 1 << 14)), "[SIGINT SIGTERM]");
        assert_eq!(
            shown(|b| sigset(b, !(1 << 8 | 1 << 18))),
            "~[SIGKILL SIGSTOP]"
        );
        assert_eq!(shown(|b| status(b, 0)), "[exited 0]");
        assert_eq!(shown(|b| status(b, 3 << 8)), "[exited 3]");
        assert_eq!(shown(|b| status(b, 9)), "[killed by SIGKILL]");
        assert_eq!(shown(|b| status(b, 20 << 8 | 0x7f)), "[stopped by SIGTSTP]");
    }
}
