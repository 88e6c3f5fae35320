//! Namespaces.

use super::{args, call, rows, Arg, Call, Errno, Ret};

static UNSHARE: Call = Call {
    sys: rows::unshare,
    args: args!(CloneFlags),
    ret: Ret::Int,
};

/// [unshare(2)]: move the caller into new namespaces given by `CLONE_NEW*`
/// flags. For `CLONE_NEWPID` the caller itself stays where it is; only its
/// children made afterwards are born in the new PID namespace.
///
/// Syscall number: x86_64 272, aarch64 97.
///
/// Errors: `EPERM` without `CAP_SYS_ADMIN` in the owning user namespace,
/// `EINVAL` for bad flags, `ENOSPC` when a namespace limit is reached,
/// `ENOMEM`.
///
/// [unshare(2)]: https://man7.org/linux/man-pages/man2/unshare.2.html
pub fn unshare(flags: u32) -> Result<(), Errno> {
    // SAFETY: a plain integer; no user memory.
    unsafe { call(&UNSHARE, [flags as usize, 0, 0, 0, 0, 0]) }.map(drop)
}
