//! Names for what the kernel speaks in numbers: errnos, signals, flags.
//! The tables are compact on purpose: each one packed text (build/pack.rs),
//! read by index, where a slice of pairs would cost 24 bytes of pointers
//! per entry; unit tests check them against the `syscalls` crate and
//! linux-raw-sys.

use linux_raw_sys::general as g;

use super::Errno;
use crate::text::{Buf, Packed, Unpack};

/// The errors ns-tool can meet, one entry each, ended by a NUL: the name,
/// a space, its text (the kernel's wording, as the `syscalls` crate
/// carries it). The classic 1 to 40 in order, then the few others its calls
/// return ([`entry`] numbers them); any other errno is shown by number.
/// (The `syscalls` crate can name them all, but its table is a large match,
/// a quarter of this binary.) Packed, as only ever printed: half the size.
const ERRNOS: Packed = t!("\
    EPERM Operation not permitted\0\
    ENOENT No such file or directory\0\
    ESRCH No such process\0\
    EINTR Interrupted system call\0\
    EIO I/O error\0\
    ENXIO No such device or address\0\
    E2BIG Argument list too long\0\
    ENOEXEC Exec format error\0\
    EBADF Bad file number\0\
    ECHILD No child processes\0\
    EAGAIN Try again\0\
    ENOMEM Out of memory\0\
    EACCES Permission denied\0\
    EFAULT Bad address\0\
    ENOTBLK Block device required\0\
    EBUSY Device or resource busy\0\
    EEXIST File exists\0\
    EXDEV Cross-device link\0\
    ENODEV No such device\0\
    ENOTDIR Not a directory\0\
    EISDIR Is a directory\0\
    EINVAL Invalid argument\0\
    ENFILE File table overflow\0\
    EMFILE Too many open files\0\
    ENOTTY Not a typewriter\0\
    ETXTBSY Text file busy\0\
    EFBIG File too large\0\
    ENOSPC No space left on device\0\
    ESPIPE Illegal seek\0\
    EROFS Read-only file system\0\
    EMLINK Too many links\0\
    EPIPE Broken pipe\0\
    EDOM Math argument out of domain of func\0\
    ERANGE Math result not representable\0\
    EDEADLK Resource deadlock would occur\0\
    ENAMETOOLONG File name too long\0\
    ENOLCK No record locks available\0\
    ENOSYS Invalid system call number\0\
    ENOTEMPTY Directory not empty\0\
    ELOOP Too many symbolic links encountered\0\
    EOVERFLOW Value too large for defined data type\0\
    EUSERS Too many users\0\
    EOPNOTSUPP Operation not supported on transport endpoint\0");

/// The entry of `e` in [`ERRNOS`], unpacked.
fn entry(e: Errno) -> Option<Unpack> {
    let k = match e.into_raw() {
        n @ 1..=40 => n - 1,
        75 => 40, // EOVERFLOW
        87 => 41, // EUSERS
        95 => 42, // EOPNOTSUPP
        _ => return None,
    };
    Some(ERRNOS.entry(k as usize, 0))
}

/// Signals 1 to 31 (the same numbers on x86_64 and aarch64), without
/// their `SIG` prefix.
const SIGNALS: Packed = t!(
    "HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM \
                           STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH \
                           IO PWR SYS "
);

/// The name of signal `sig` without `SIG` (`KILL`), for 1 to 31, unpacked
/// and ended by a space.
pub fn signal(sig: u32) -> Option<Unpack> {
    (1..=31)
        .contains(&sig)
        .then(|| SIGNALS.entry(sig as usize - 1, b' '))
}

/// Write signal `sig` by name (`SIGTERM`), or its number.
pub fn put_signal(b: &mut Buf, sig: u32) {
    match signal(sig) {
        Some(mut name) => b.s("SIG").until(&mut name, b' '),
        None => b.udec(u64::from(sig)),
    };
}

/// Write `errno` as the error lines name it: `Operation not permitted
/// (EPERM)`.
pub fn put_errno_text(b: &mut Buf, e: Errno) {
    match entry(e) {
        Some(mut it) => {
            let mut name = it.clone();
            it.find(|&c| c == b' ');
            b.until(&mut it, 0);
            b.s(" (");
            b.until(&mut name, b' ');
            b.s(")")
        }
        None => b.s("unknown error (errno ").dec(e.into_raw().into()).s(")"),
    };
}

/// Write `errno` as a trace shows it: `-1 EPERM (Operation not
/// permitted)`.
pub fn put_errno_ret(b: &mut Buf, e: Errno) {
    match entry(e) {
        Some(mut it) => {
            b.s("-1 ");
            b.until(&mut it, b' ');
            b.s(" (");
            b.until(&mut it, 0);
            b.s(")")
        }
        None => b.s("-1 errno ").dec(e.into_raw().into()),
    };
}

/// The tables a trace names values by, `TABLE: VALUE, ...;`: each value a
/// constant, whose own name is what the trace shows (build/pack.rs packs
/// those names, reading this block). Makes a [`Names`] per table, and
/// [`VALUES`].
macro_rules! names {
    ($($(#[$doc:meta])* $table:ident: $($value:path),+;)*) => {
        /// Every table's values, one table after another.
        static VALUES: &[u32] = &[$($($value),+),*];
        names!(@at 0; $($(#[$doc])* $table: $($value),+;)*);
        /// The values as written, for the test that the packed names agree.
        #[cfg(test)]
        static PATHS: &[&str] = &[$($(stringify!($value)),+),*];
    };
    (@at $at:expr; $(#[$doc:meta])* $table:ident: $($value:path),+; $($rest:tt)*) => {
        $(#[$doc])*
        pub const $table: Names = Names {
            start: $at,
            len: [$(stringify!($value)),+].len() as u8,
        };
        names!(@at $at + [$(stringify!($value)),+].len() as u8; $($rest)*);
    };
    (@at $at:expr;) => {};
}

/// Some values and their names: a run of [`VALUES`], and of the names'
/// packed text (two bytes, where a slice and a `&str` took 32).
#[derive(Debug, Clone, Copy)]
pub struct Names {
    start: u8,
    len: u8,
}

/// Every table's names, one after another, each ended by a NUL.
const NAMES: Packed = names_text!();

impl Names {
    /// The values.
    fn values(self) -> &'static [u32] {
        &VALUES[usize::from(self.start)..usize::from(self.start + self.len)]
    }

    /// The names, in order, unpacked, each ended by a NUL.
    fn names(self) -> Unpack {
        NAMES.entry(self.start.into(), 0)
    }
}

/// Write a bit mask by the names in `table`: `A|B|0x..`, or `0x0`.
pub fn put_flags(b: &mut Buf, value: u64, table: Names) {
    let mut rest = value;
    let mut first = true;
    let mut names = table.names();
    for &bit in table.values() {
        let bit = u64::from(bit);
        if bit != 0 && rest & bit == bit {
            if !first {
                b.byte(b'|');
            }
            b.until(&mut names, 0);
            rest &= !bit;
            first = false;
        } else {
            names.find(|&c| c == 0);
        }
    }
    if rest != 0 || first {
        if !first {
            b.byte(b'|');
        }
        b.hex(rest);
    }
}

/// Write `value` by its name in `table`, or as a decimal.
pub fn put_enum(b: &mut Buf, value: u64, table: Names) {
    match table.values().iter().position(|&v| u64::from(v) == value) {
        Some(i) => b.until(&mut NAMES.entry(usize::from(table.start) + i, 0), 0),
        None => b.dec(value as i64),
    };
}

names! {
    /// The `CLONE_NEW*` flags, in the order a trace names them.
    CLONE: g::CLONE_NEWUSER, g::CLONE_NEWPID, g::CLONE_NEWNS, g::CLONE_NEWUTS, g::CLONE_NEWIPC,
        g::CLONE_NEWNET, g::CLONE_NEWCGROUP;
    /// wait4's options.
    WAIT: g::WNOHANG, g::WUNTRACED, g::__WALL;
    /// openat's and pipe2's flags.
    OPEN: g::O_WRONLY, g::O_RDWR, g::O_DIRECTORY, g::O_PATH, g::O_CLOEXEC;
    /// mount's flags.
    MOUNT: g::MS_NOSUID, g::MS_NODEV, g::MS_NOEXEC, g::MS_REC, g::MS_PRIVATE;
    /// rt_sigprocmask's `how`.
    HOW: g::SIG_BLOCK, g::SIG_UNBLOCK, g::SIG_SETMASK;
    /// The terminal ioctls ns-tool makes.
    IOCTL: linux_raw_sys::ioctl::TIOCGPGRP, linux_raw_sys::ioctl::TIOCSPGRP;
    /// The prctl options ns-tool uses.
    PRCTL: linux_raw_sys::prctl::PR_SET_PDEATHSIG;
}

/// `si_code` values a trace names.
pub fn put_si_code(b: &mut Buf, code: i32) {
    match code {
        0 => b.s("SI_USER"),
        -1 => b.s("SI_QUEUE"),
        -6 => b.s("SI_TKILL"),
        0x80 => b.s("SI_KERNEL"),
        c => b.dec(c.into()),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The name and text of `e`, as the table has them.
    fn errno(e: Errno) -> Option<(std::vec::Vec<u8>, std::vec::Vec<u8>)> {
        let mut it = entry(e)?;
        let name = it.by_ref().take_while(|&c| c != b' ').collect();
        Some((name, it.take_while(|&c| c != 0).collect()))
    }

    #[test]
    fn errnos_agree_with_the_syscalls_crate() {
        let mut count = 0;
        for n in 1..200 {
            let e = Errno::new(n);
            if let Some((name, text)) = errno(e) {
                assert_eq!(Some(&name[..]), e.name().map(str::as_bytes), "errno {n}");
                assert_eq!(
                    Some(&text[..]),
                    e.description().map(str::as_bytes),
                    "errno {n}"
                );
                count += 1;
            }
        }
        let entries = ERRNOS.unpack().filter(|&c| c == 0).count();
        assert_eq!(count, entries, "every entry parses");
        assert_eq!(errno(Errno::new(4000)), None);
        for e in [Errno::EPERM, Errno::ENOSPC, Errno::EUSERS, Errno::ENOEXEC] {
            assert!(errno(e).is_some(), "{e:?}");
        }
    }

    #[test]
    fn signals_agree_with_linux_raw_sys() {
        let known = [
            (g::SIGHUP, "HUP"),
            (g::SIGKILL, "KILL"),
            (g::SIGSEGV, "SEGV"),
            (g::SIGTERM, "TERM"),
            (g::SIGSTKFLT, "STKFLT"),
            (g::SIGCHLD, "CHLD"),
            (g::SIGTSTP, "TSTP"),
            (g::SIGWINCH, "WINCH"),
            (g::SIGPWR, "PWR"),
            (g::SIGSYS, "SYS"),
        ];
        let name = |n| -> Option<std::string::String> {
            Some(
                signal(n)?
                    .take_while(|&c| c != b' ')
                    .map(char::from)
                    .collect(),
            )
        };
        for (n, known) in known {
            assert_eq!(name(n).as_deref(), Some(known));
        }
        assert_eq!(SIGNALS.unpack().filter(|&c| c == b' ').count(), 31);
        assert_eq!(name(0), None);
        assert_eq!(name(32), None);
    }

    #[test]
    fn each_value_is_named_by_its_constant() {
        let names: std::vec::Vec<u8> = NAMES.unpack().collect();
        let names: std::vec::Vec<&[u8]> = names.split(|&c| c == 0).collect();
        assert_eq!(names.len(), PATHS.len() + 1, "a name per value");
        assert_eq!(VALUES.len(), PATHS.len());
        for (name, path) in names.iter().zip(PATHS) {
            let constant = path.rsplit("::").next().unwrap().trim();
            assert_eq!(constant.as_bytes(), *name, "{path}");
        }
        let last = PRCTL.start + PRCTL.len;
        assert_eq!(
            usize::from(last),
            VALUES.len(),
            "the tables cover the values"
        );
    }

    fn shown(f: impl Fn(&mut Buf)) -> std::string::String {
        let mut b = Buf::new();
        f(&mut b);
        std::string::String::from_utf8(b.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn shows() {
        let (user, pid) = (g::CLONE_NEWUSER, g::CLONE_NEWPID);
        assert_eq!(
            shown(|b| put_flags(b, (user | pid).into(), CLONE)),
            "CLONE_NEWUSER|CLONE_NEWPID"
        );
        assert_eq!(
            shown(|b| put_flags(b, (pid | 1).into(), CLONE)),
            "CLONE_NEWPID|0x1"
        );
        assert_eq!(shown(|b| put_flags(b, 0, CLONE)), "0x0");
        assert_eq!(shown(|b| put_flags(b, g::__WALL.into(), WAIT)), "__WALL");
        assert_eq!(
            shown(|b| put_enum(b, g::SIG_SETMASK.into(), HOW)),
            "SIG_SETMASK"
        );
        assert_eq!(shown(|b| put_enum(b, 7, HOW)), "7");
        assert_eq!(
            shown(|b| put_enum(b, linux_raw_sys::prctl::PR_SET_PDEATHSIG.into(), PRCTL)),
            "PR_SET_PDEATHSIG"
        );
        assert_eq!(shown(|b| put_signal(b, 15)), "SIGTERM");
        assert_eq!(shown(|b| put_signal(b, 40)), "40");
        assert_eq!(
            shown(|b| put_errno_text(b, Errno::EPERM)),
            "Operation not permitted (EPERM)"
        );
        assert_eq!(
            shown(|b| put_errno_text(b, Errno::new(4000))),
            "unknown error (errno 4000)"
        );
        assert_eq!(
            shown(|b| put_errno_ret(b, Errno::EPERM)),
            "-1 EPERM (Operation not permitted)"
        );
        assert_eq!(
            shown(|b| put_errno_ret(b, Errno::new(4000))),
            "-1 errno 4000"
        );
    }
}
