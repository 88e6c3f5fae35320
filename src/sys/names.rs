//! Names for what the kernel speaks in numbers: errnos, signals, flags.
//! The tables are compact on purpose: each one packed text (build/pack.rs),
//! read by index, where a slice of pairs would cost 24 bytes of pointers
//! per entry; unit tests check them against the `syscalls` crate and
//! linux-raw-sys.

use linux_raw_sys::general as g;

use super::Errno;
use crate::text::{Buf, Packed, Unpack};

/// The errors ns-tool can meet, one entry a line: the name,
/// a space, its text (the kernel's wording, as the `syscalls` crate
/// carries it). The classic 1 to 40 in order, then the few others its calls
/// return ([`entry`] numbers them); any other errno is shown by number.
/// (The `syscalls` crate can name them all, but its table is a large match,
/// a quarter of this binary.) Packed, as only ever printed: half the size.
const ERRNOS: Packed = t!("\
    EPERM Operation not permitted\n\
    ENOENT No such file or directory\n\
    ESRCH No such process\n\
    EINTR Interrupted system call\n\
    EIO I/O error\n\
    ENXIO No such device or address\n\
    E2BIG Argument list too long\n\
    ENOEXEC Exec format error\n\
    EBADF Bad file number\n\
    ECHILD No child processes\n\
    EAGAIN Try again\n\
    ENOMEM Out of memory\n\
    EACCES Permission denied\n\
    EFAULT Bad address\n\
    ENOTBLK Block device required\n\
    EBUSY Device or resource busy\n\
    EEXIST File exists\n\
    EXDEV Cross-device link\n\
    ENODEV No such device\n\
    ENOTDIR Not a directory\n\
    EISDIR Is a directory\n\
    EINVAL Invalid argument\n\
    ENFILE File table overflow\n\
    EMFILE Too many open files\n\
    ENOTTY Not a typewriter\n\
    ETXTBSY Text file busy\n\
    EFBIG File too large\n\
    ENOSPC No space left on device\n\
    ESPIPE Illegal seek\n\
    EROFS Read-only file system\n\
    EMLINK Too many links\n\
    EPIPE Broken pipe\n\
    EDOM Math argument out of domain of func\n\
    ERANGE Math result not representable\n\
    EDEADLK Resource deadlock would occur\n\
    ENAMETOOLONG File name too long\n\
    ENOLCK No record locks available\n\
    ENOSYS Invalid system call number\n\
    ENOTEMPTY Directory not empty\n\
    ELOOP Too many symbolic links encountered\n\
    EOVERFLOW Value too large for defined data type\n\
    EUSERS Too many users\n\
    EOPNOTSUPP Operation not supported on transport endpoint\n");

/// The entry of `e` in [`ERRNOS`], unpacked.
fn entry(e: Errno) -> Option<Unpack> {
    let k = match e.into_raw() {
        n @ 1..=40 => n - 1,
        75 => 40, // EOVERFLOW
        87 => 41, // EUSERS
        95 => 42, // EOPNOTSUPP
        _ => return None,
    };
    Some(ERRNOS.entry(k as usize, b'\n'))
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
        Some(mut name) => b.p(t!("SIG")).until(&mut name, b' '),
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
            b.until(&mut it, b'\n');
            b.p(t!(" ("));
            b.until(&mut name, b' ');
            b.byte(b')')
        }
        None => b
            .p(t!("unknown error (errno "))
            .dec(e.into_raw().into())
            .byte(b')'),
    };
}

/// Write `errno` as a trace shows it: `-1 EPERM (Operation not
/// permitted)`.
pub fn put_errno_ret(b: &mut Buf, e: Errno) {
    match entry(e) {
        Some(mut it) => {
            b.p(t!("-1 "));
            b.until(&mut it, b' ');
            b.p(t!(" ("));
            b.until(&mut it, b'\n');
            b.byte(b')')
        }
        None => b.p(t!("-1 errno ")).dec(e.into_raw().into()),
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

/// Every table's names, one a line.
const NAMES: Packed = names_text!();

impl Names {
    /// Where its values are in [`VALUES`], and its names in [`NAMES`].
    fn range(self) -> core::ops::Range<usize> {
        usize::from(self.start)..usize::from(self.start + self.len)
    }
}

/// Write the name of `VALUES[i]`.
fn put_name(b: &mut Buf, i: usize) {
    b.until(&mut NAMES.entry(i, b'\n'), b'\n');
}

/// Write a bit mask by the names in `table`: `A|B|0x..`, or `0x0`.
pub fn put_flags(b: &mut Buf, value: u64, table: Names) {
    let mut rest = value;
    let mut first = true;
    for i in table.range() {
        let bit = u64::from(VALUES[i]);
        if bit != 0 && rest & bit == bit {
            if !first {
                b.byte(b'|');
            }
            put_name(b, i);
            rest &= !bit;
            first = false;
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
    match table.range().find(|&i| u64::from(VALUES[i]) == value) {
        Some(i) => put_name(b, i),
        None => {
            b.dec(value as i64);
        }
    }
}

names! {
    /// The `CLONE_*` flags, in the order a trace names them; then the
    /// exit signal clone(2) takes in the low byte of its flags (SIGCHLD,
    /// 0x11: no flag has those bits).
    CLONE: g::CLONE_NEWUSER, g::CLONE_NEWPID, g::CLONE_NEWNS, g::CLONE_NEWUTS, g::CLONE_NEWIPC,
        g::CLONE_NEWNET, g::CLONE_NEWCGROUP, g::CLONE_NEWTIME, g::CLONE_PIDFD, g::SIGCHLD;
    /// wait4's and waitid's options.
    WAIT: g::WNOHANG, g::WUNTRACED, g::WEXITED, g::__WALL;
    /// openat's and pipe2's flags.
    OPEN: g::O_WRONLY, g::O_RDWR, g::O_DIRECTORY, g::O_PATH, g::O_CLOEXEC;
    /// mount's flags.
    MOUNT: g::MS_NOSUID, g::MS_NODEV, g::MS_NOEXEC, g::MS_REC, g::MS_PRIVATE;
    /// rt_sigprocmask's `how`.
    HOW: g::SIG_BLOCK, g::SIG_UNBLOCK, g::SIG_SETMASK;
    /// The ioctls ns-tool makes: the terminal's, and an interface's flags.
    IOCTL: linux_raw_sys::ioctl::TIOCGPGRP, linux_raw_sys::ioctl::TIOCSPGRP,
        linux_raw_sys::ioctl::SIOCGIFFLAGS, linux_raw_sys::ioctl::SIOCSIFFLAGS;
    /// The prctl options ns-tool uses.
    PRCTL: linux_raw_sys::prctl::PR_SET_PDEATHSIG, linux_raw_sys::prctl::PR_SET_CHILD_SUBREAPER;
    /// reboot(2)'s magic numbers and the one command ns-tool gives.
    REBOOT: g::LINUX_REBOOT_MAGIC1, g::LINUX_REBOOT_MAGIC2, g::LINUX_REBOOT_CMD_POWER_OFF;
    /// waitid's `idtype`, the one ns-tool gives.
    IDTYPE: g::P_PIDFD;
}

/// `si_code` values a trace names.
pub fn put_si_code(b: &mut Buf, code: i32) {
    match code {
        0 => b.p(t!("SI_USER")),
        -1 => b.p(t!("SI_QUEUE")),
        -6 => b.p(t!("SI_TKILL")),
        0x80 => b.p(t!("SI_KERNEL")),
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
        Some((name, it.take_while(|&c| c != b'\n').collect()))
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
        let entries = ERRNOS.unpack().filter(|&c| c == b'\n').count();
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
        let names: std::vec::Vec<&[u8]> = names.split(|&c| c == b'\n').collect();
        assert_eq!(names.len(), PATHS.len() + 1, "a name per value");
        assert_eq!(VALUES.len(), PATHS.len());
        for (name, path) in names.iter().zip(PATHS) {
            let constant = path.rsplit("::").next().unwrap().trim();
            assert_eq!(constant.as_bytes(), *name, "{path}");
        }
        let last = IDTYPE.start + IDTYPE.len;
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
        // clone(2)'s flags word, its exit signal in the low byte.
        assert_eq!(
            shown(|b| put_flags(b, (pid | g::CLONE_PIDFD | g::SIGCHLD).into(), CLONE)),
            "CLONE_NEWPID|CLONE_PIDFD|SIGCHLD"
        );
        assert_eq!(shown(|b| put_flags(b, g::SIGCHLD.into(), CLONE)), "SIGCHLD");
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
