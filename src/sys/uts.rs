//! The UTS namespace's names: the hostname and the NIS domain name.

use core::ffi::CStr;

use super::{args, call, rows, Arg, Call, Errno, Ret};

/// `struct utsname`: six NUL-terminated fields of 65 bytes.
pub type Utsname = [u8; 6 * 65];

/// Which field of a [`Utsname`]: the hostname (`nodename`), the NIS
/// domain name.
pub const NODENAME: usize = 1;
pub const DOMAINNAME: usize = 5;

/// Field `i` of `u`, without its NUL.
pub fn field(u: &Utsname, i: usize) -> &[u8] {
    let f = &u[i * 65..(i + 1) * 65];
    &f[..f.iter().position(|&c| c == 0).unwrap_or(65)]
}

static UNAME: Call = Call {
    sys: rows::uname,
    args: args!(Utsname),
    ret: Ret::Int,
};

/// [uname(2)]: the names of this system as the caller's UTS namespace has
/// them: kernel, hostname, release, version, machine, domain name.
///
/// Syscall number: x86_64 63, aarch64 160.
///
/// Errors: `EFAULT` only.
///
/// [uname(2)]: https://man7.org/linux/man-pages/man2/uname.2.html
pub fn uname(u: &mut Utsname) -> Result<(), Errno> {
    // SAFETY: `u` is a writable struct utsname.
    unsafe { call(&UNAME, [u.as_mut_ptr() as usize, 0, 0, 0, 0, 0]) }.map(drop)
}

static SETHOSTNAME: Call = Call {
    sys: rows::sethostname,
    args: args!(Str, Int),
    ret: Ret::Int,
};

static SETDOMAINNAME: Call = Call {
    sys: rows::setdomainname,
    args: args!(Str, Int),
    ret: Ret::Int,
};

/// [sethostname(2)]: set the hostname of the caller's UTS namespace to
/// `name` (at most 64 bytes; the kernel takes its length, not the NUL).
///
/// Syscall number: x86_64 170, aarch64 161.
///
/// Errors: `EPERM` (no `CAP_SYS_ADMIN` in the user namespace that owns
/// the UTS namespace), `EINVAL` (longer than 64 bytes).
///
/// [sethostname(2)]: https://man7.org/linux/man-pages/man2/sethostname.2.html
pub fn sethostname(name: &CStr) -> Result<(), Errno> {
    set(&SETHOSTNAME, name)
}

/// [setdomainname(2)]: set the NIS domain name of the caller's UTS
/// namespace, as [`sethostname`] sets the hostname.
///
/// Syscall number: x86_64 171, aarch64 162.
///
/// Errors: as [`sethostname`].
///
/// [setdomainname(2)]: https://man7.org/linux/man-pages/man2/setdomainname.2.html
pub fn setdomainname(name: &CStr) -> Result<(), Errno> {
    set(&SETDOMAINNAME, name)
}

fn set(c: &'static Call, name: &CStr) -> Result<(), Errno> {
    let len = name.to_bytes().len();
    // SAFETY: the kernel reads `len` bytes of a live C string.
    unsafe { call(c, [name.as_ptr() as usize, len, 0, 0, 0, 0]) }.map(drop)
}
