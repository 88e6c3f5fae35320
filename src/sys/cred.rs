//! Credentials.

use super::{args, call, rows, Arg, Call, Ret};

static GETUID: Call = Call {
    sys: rows::getuid,
    args: args!(),
    ret: Ret::Int,
};

/// [getuid(2)]: the real user ID. Never fails.
///
/// Syscall number: x86_64 102, aarch64 174.
///
/// [getuid(2)]: https://man7.org/linux/man-pages/man2/getuid.2.html
pub fn getuid() -> u32 {
    // SAFETY: no arguments.
    unsafe { call(&GETUID, [0; 6]) }.unwrap_or(0) as u32
}

static GETGID: Call = Call {
    sys: rows::getgid,
    args: args!(),
    ret: Ret::Int,
};

/// [getgid(2)]: the real group ID. Never fails.
///
/// Syscall number: x86_64 104, aarch64 176.
///
/// [getgid(2)]: https://man7.org/linux/man-pages/man2/getgid.2.html
pub fn getgid() -> u32 {
    // SAFETY: no arguments.
    unsafe { call(&GETGID, [0; 6]) }.unwrap_or(0) as u32
}
