//! The clocks a time namespace shifts, read by the system call itself.

use super::{args, call, rows, Arg, Call, Errno, Ret};

/// `struct timespec` (64-bit on both arches): seconds, nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: i64,
}

static CLOCK_GETTIME: Call = Call {
    sys: rows::clock_gettime,
    args: args!(Int, Timeout),
    ret: Ret::Int,
};

/// [clock_gettime(2)]: clock `clock` (`CLOCK_MONOTONIC`,
/// `CLOCK_BOOTTIME`, ...) as the caller's time namespace shows it. The
/// system call, not the vDSO that libc would use: the trace shows it, and
/// the kernel applies the namespace's offsets here too.
///
/// Syscall number: x86_64 228, aarch64 113.
///
/// Errors: `EINVAL` (a clock this kernel lacks), `EFAULT`.
///
/// [clock_gettime(2)]: https://man7.org/linux/man-pages/man2/clock_gettime.2.html
pub fn clock_gettime(clock: u32) -> Result<Timespec, Errno> {
    let mut t = Timespec::default();
    // SAFETY: `t` is a writable struct timespec of the kernel's layout.
    unsafe {
        call(
            &CLOCK_GETTIME,
            [clock as usize, &mut t as *mut Timespec as usize, 0, 0, 0, 0],
        )
    }
    .map(|_| t)
}
