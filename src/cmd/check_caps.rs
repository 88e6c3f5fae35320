//! `ns-tool check-caps`: what this process may do, without needing root.
//! The capabilities come from capget(2); whether a namespace type can be
//! created is not reasoned out but tried: a child calls unshare(2) and
//! exits at once, its exit status the errno (0: created), so the answer
//! is the kernel's own, LSMs, seccomp and limits included, and nothing is
//! left behind. docs/check-caps.md says more.

use linux_raw_sys::general::{CAP_SYS_ADMIN, CLONE_NEWUSER, O_CLOEXEC, O_RDONLY, SIGCHLD};

use crate::cli::{Command, Cursor, Opts, Usage, HELP_OPT, TRACE};
use crate::error::{self, Error};
use crate::rt::out::{self, out};
use crate::sys::{self, names, Errno, Fork, WaitStatus};
use crate::text::{Buf, Packed};

/// Help for `ns-tool check-caps --help`.
pub const HELP: Packed = t!("Usage: ns-tool check-caps [--trace]

Capabilities, and which namespaces this process can create: each is
tried in a child, which exits (docs/check-caps.md).
");

pub(super) const OPTS: Opts = Opts {
    names: t!("-h --help\n--trace"),
    ids: &[HELP_OPT, TRACE],
};

/// `check-caps [--trace]`: options and no other words, read by the loop
/// `syscalls` has too.
pub fn parse(args: Cursor<'_>, trace: bool) -> Result<Command, Usage<'_>> {
    super::syscalls::options(args, trace, 1)
}

/// The namespace types, as /proc/self/ns names them, each as its line
/// starts; then the sysctls that govern unprivileged user namespaces:
/// upstream's, Debian's patch, Ubuntu's AppArmor. One text, read in turn.
const NAMES: Packed = t!(
    "  cgroup: \n  ipc: \n  mnt: \n  net: \n  pid: \n  time: \n  user: \n  uts: \n\
    /proc/sys/user/max_user_namespaces\n\
    /proc/sys/kernel/unprivileged_userns_clone\n\
    /proc/sys/kernel/apparmor_restrict_unprivileged_userns\n"
);
/// The types' CLONE_NEW* flags, as bit numbers (a byte each, not a u32).
static BITS: [u8; 8] = [25, 27, 17, 30, 29, 7, 28, 26];
// The user namespace's place in both.
const _: () = assert!(1 << BITS[6] == CLONE_NEWUSER);
/// The value of each sysctl that forbids them.
const FORBIDS: &[u8; 3] = b"001";

/// Print the report; exit status 0, whatever it says. (Out of line, as
/// `read`: measured smaller.)
#[inline(never)]
pub fn run() -> Result<i32, Error> {
    // Ignored (inherited), SIGCHLD would have the kernel reap the
    // children before wait4 could read their exit status.
    let _ = sys::set_disposition(SIGCHLD, false);
    let caps = sys::capget().map_err(Error::ctx(t!("capget")))?;
    let admin = caps >> CAP_SYS_ADMIN & 1 != 0;
    out(|b| {
        b.p(t!("Effective capabilities: ")).hex(caps);
    });
    // Whole lines, each a text: smaller than lines built.
    out::say(if admin {
        t!("CAP_SYS_ADMIN: yes\nNamespace creation:")
    } else {
        t!("CAP_SYS_ADMIN: no\nNamespace creation:")
    });
    let mut names = NAMES.unpack();
    for bit in &BITS {
        let flag = 1 << bit;
        let errno = attempt(flag)?;
        out(|b| {
            b.until(&mut names, b'\n');
            let Some(e) = errno else {
                b.p(t!("yes"));
                return;
            };
            names::put_errno_text(b.p(t!("no: ")), e);
            // Every type but user needs CAP_SYS_ADMIN in the user
            // namespace that will own it: one of its own gives that.
            if e == Errno::EPERM && !admin && flag != CLONE_NEWUSER {
                b.p(t!(": needs CAP_SYS_ADMIN, or a user namespace first"));
            }
        });
    }
    let mut allowed = true;
    for forbid in FORBIDS {
        let mut path = Buf::new();
        path.until(&mut names, b'\n');
        out(|b| {
            b.b(path.as_bytes()).p(t!(": "));
            let mut value = [0u8; 32];
            match read(&mut path, &mut value) {
                Ok(v) => {
                    allowed &= v != [*forbid];
                    b.esc(v);
                }
                // ENOENT: absent.
                Err(e) => names::put_errno_text(b, e),
            }
        });
    }
    out::say(if allowed {
        t!("Unprivileged user namespaces: yes")
    } else {
        t!("Unprivileged user namespaces: no")
    });
    error::stdout_result().map(|()| 0)
}

/// Try unshare(`flags`) in a child, which exits at once: `None` if it
/// worked, else the errno the child exited with.
fn attempt(flags: u32) -> Result<Option<Errno>, Error> {
    match sys::fork().map_err(Error::ctx(t!("fork")))? {
        Fork::Child => sys::exit_group(sys::unshare(flags).err().map_or(0, Errno::into_raw)),
        Fork::Parent(pid) => {
            // Not an exit (killed; or wait4 failed, which it cannot for
            // a child of ours): shown as unknown error 255.
            let code = match sys::wait4(pid, 0) {
                Ok((_, WaitStatus::Exited(code))) => code,
                _ => 255,
            };
            Ok((code != 0).then(|| Errno::new(code.into())))
        }
    }
}

/// The value of the sysctl at `path`, in `buf`, without the newline that
/// ends it.
#[inline(never)]
fn read<'a>(path: &mut Buf, buf: &'a mut [u8]) -> Result<&'a [u8], Errno> {
    // The paths are short: c_str() never fails.
    let fd = sys::open(path.c_str().unwrap_or(c""), O_RDONLY | O_CLOEXEC)?;
    let n = sys::read(fd.raw(), buf)?;
    Ok(buf.get(..n.wrapping_sub(1)).unwrap_or(b""))
}
