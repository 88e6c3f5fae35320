//! Credentials.

use super::{args, call, rows, Arg, Call, Errno, Ret};

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

static CAPGET: Call = Call {
    sys: rows::capget,
    args: args!(Skip, Caps),
    ret: Ret::Int,
};

/// [capget(2)]: this process's effective capabilities as a mask, bit N
/// capability N (capabilities(7); `CapEff` in /proc/self/status).
/// Asked as `_LINUX_CAPABILITY_VERSION_3`, whose data is two structs of
/// 32-bit masks, low half first.
///
/// Syscall number: x86_64 125, aarch64 90.
///
/// Errors: `EINVAL` (a version this kernel does not know), `EFAULT`.
///
/// [capget(2)]: https://man7.org/linux/man-pages/man2/capget.2.html
pub fn capget() -> Result<u64, Errno> {
    let header = [linux_raw_sys::general::_LINUX_CAPABILITY_VERSION_3, 0];
    // {effective, permitted, inheritable} for bits 0-31, then 32-63.
    let mut data = [0u32; 6];
    // SAFETY: a live header (version, pid 0: this process) and room for
    // the two structs version 3 fills.
    unsafe {
        call(
            &CAPGET,
            [
                header.as_ptr() as usize,
                data.as_mut_ptr() as usize,
                0,
                0,
                0,
                0,
            ],
        )
    }?;
    Ok(u64::from(data[0]) | u64::from(data[3]) << 32)
}
