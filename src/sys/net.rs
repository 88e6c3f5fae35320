//! Sockets, for `net`: an interface's flags (the loopback's, to bring it
//! up) and one UDP socket on 127.0.0.1. linux-raw-sys's `net` module is
//! not built here (Cargo.toml's features); the few values it would give
//! are the kernel's, the same on x86_64 and aarch64.

use super::{args, call, int, rows, Arg, Call, Errno, Fd, Ret};

/// `AF_INET`: IPv4.
pub const AF_INET: u32 = 2;
/// `SOCK_DGRAM`, and the flags socket(2) takes in the same argument,
/// which are `O_NONBLOCK` and `O_CLOEXEC`.
pub const SOCK_DGRAM: u32 = 2;
pub const SOCK_NONBLOCK: u32 = linux_raw_sys::general::O_NONBLOCK;
pub const SOCK_CLOEXEC: u32 = linux_raw_sys::general::O_CLOEXEC;
/// `IFF_UP` in `ifr_flags`: the interface is up (administratively).
pub const IFF_UP: u16 = 1;

/// `struct ifreq` as SIOCGIFFLAGS and SIOCSIFFLAGS use it: the
/// interface's name, NUL-terminated, then a union (24 bytes on 64-bit)
/// whose first field is `ifr_flags`. The kernel copies all 40 bytes.
#[repr(C)]
pub struct Ifreq {
    pub name: [u8; 16],
    pub flags: u16,
    pub rest: [u8; 22],
}

/// `struct sockaddr_in`: family, port and address in network byte order
/// (big-endian), 8 bytes of zeros.
#[derive(Clone, Copy)]
#[repr(C)]
pub struct SockaddrIn {
    pub family: u16,
    pub port: u16,
    pub addr: [u8; 4],
    pub zero: [u8; 8],
}

/// 127.0.0.1, port 0 (bind: the kernel picks one).
pub const LOOPBACK: SockaddrIn = SockaddrIn {
    family: AF_INET as u16,
    port: 0,
    addr: [127, 0, 0, 1],
    zero: [0; 8],
};

static SOCKET: Call = Call {
    sys: rows::socket,
    args: args!(Int, Int, Int),
    ret: Ret::Int,
};

/// [socket(2)]: an IPv4 UDP socket, close-on-exec and non-blocking (a
/// read with nothing queued fails, EAGAIN, where it would wait forever).
///
/// Syscall number: x86_64 41, aarch64 198.
///
/// Errors: `EMFILE`, `ENOBUFS`, `ENOMEM`; `EAFNOSUPPORT` on a kernel
/// without IPv4.
///
/// [socket(2)]: https://man7.org/linux/man-pages/man2/socket.2.html
pub fn udp_socket() -> Result<Fd, Errno> {
    let ty = SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC;
    // SAFETY: plain integers.
    let fd = unsafe { call(&SOCKET, [AF_INET as usize, ty as usize, 0, 0, 0, 0]) }?;
    Ok(Fd::own(fd as i32))
}

static IOCTL_IF: Call = Call {
    sys: rows::ioctl,
    // The struct starts with the interface's name: shown as a string.
    args: args!(Int, Ioctl, Str),
    ret: Ret::Int,
};

/// [ioctl(2)] `SIOCGIFFLAGS` or `SIOCSIFFLAGS` ([netdevice(7)]) on any
/// socket `fd`: read the flags of the interface `ifr` names into
/// `ifr.flags`, or set them from it, in the caller's network namespace.
///
/// Syscall number: x86_64 16, aarch64 29 (`ioctl`).
///
/// Errors: `ENODEV` (no such interface), `EPERM` (setting, without
/// `CAP_NET_ADMIN` in the user namespace that owns the network
/// namespace), `EBADF`.
///
/// [ioctl(2)]: https://man7.org/linux/man-pages/man2/ioctl.2.html
/// [netdevice(7)]: https://man7.org/linux/man-pages/man7/netdevice.7.html
pub fn ifflags(fd: i32, req: u32, ifr: &mut Ifreq) -> Result<(), Errno> {
    // SAFETY: `ifr` is a live, writable struct ifreq whose name is
    // NUL-terminated (the trace reads it as a C string).
    unsafe {
        call(
            &IOCTL_IF,
            [int(fd), req as usize, ifr as *mut Ifreq as usize, 0, 0, 0],
        )
    }
    .map(drop)
}

static BIND: Call = Call {
    sys: rows::bind,
    args: args!(Int, Skip, Int),
    ret: Ret::Int,
};

static CONNECT: Call = Call {
    sys: rows::connect,
    args: args!(Int, Skip, Int),
    ret: Ret::Int,
};

/// [bind(2)]: give socket `fd` the local address `sa` (port 0: a free
/// one the kernel picks).
///
/// Syscall number: x86_64 49, aarch64 200.
///
/// Errors: `EADDRNOTAVAIL` (no interface has that address: 127.0.0.1
/// while `lo` is down), `EADDRINUSE`, `EINVAL` (already bound).
///
/// [bind(2)]: https://man7.org/linux/man-pages/man2/bind.2.html
pub fn bind(fd: i32, sa: &SockaddrIn) -> Result<(), Errno> {
    with_addr(&BIND, fd, sa)
}

/// [connect(2)]: on a UDP socket, fix where `write` sends and the one
/// address `read` accepts datagrams from.
///
/// Syscall number: x86_64 42, aarch64 203.
///
/// Errors: `ENETUNREACH` (no route: `lo` down), `EAFNOSUPPORT`.
///
/// [connect(2)]: https://man7.org/linux/man-pages/man2/connect.2.html
pub fn connect(fd: i32, sa: &SockaddrIn) -> Result<(), Errno> {
    with_addr(&CONNECT, fd, sa)
}

fn with_addr(c: &'static Call, fd: i32, sa: &SockaddrIn) -> Result<(), Errno> {
    let len = core::mem::size_of::<SockaddrIn>();
    // SAFETY: the kernel reads `len` bytes of a live struct sockaddr_in.
    unsafe { call(c, [int(fd), sa as *const SockaddrIn as usize, len, 0, 0, 0]) }.map(drop)
}

static GETSOCKNAME: Call = Call {
    sys: rows::getsockname,
    args: args!(Int, Skip, IntPtr),
    ret: Ret::Int,
};

/// [getsockname(2)]: the local address of socket `fd`, written into `sa`
/// (after bind to port 0: the port the kernel picked).
///
/// Syscall number: x86_64 51, aarch64 204.
///
/// Errors: `EBADF`, `ENOTSOCK`.
///
/// [getsockname(2)]: https://man7.org/linux/man-pages/man2/getsockname.2.html
pub fn getsockname(fd: i32, sa: &mut SockaddrIn) -> Result<(), Errno> {
    let mut len = core::mem::size_of::<SockaddrIn>() as u32;
    // SAFETY: `sa` is a live, writable struct sockaddr_in of `len` bytes,
    // and `len` a live socklen_t the kernel updates.
    unsafe {
        call(
            &GETSOCKNAME,
            [
                int(fd),
                sa as *mut SockaddrIn as usize,
                &mut len as *mut u32 as usize,
                0,
                0,
                0,
            ],
        )
    }
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernels_layouts() {
        assert_eq!(core::mem::size_of::<Ifreq>(), 40);
        assert_eq!(core::mem::offset_of!(Ifreq, flags), 16);
        assert_eq!(core::mem::size_of::<SockaddrIn>(), 16);
        assert_eq!((SOCK_NONBLOCK, SOCK_CLOEXEC), (0o4000, 0o2000000));
    }
}
