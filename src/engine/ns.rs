//! Setting up the namespaces around the new PID namespace: which ones to
//! create, the user namespace's ID maps, and a private /proc.

use core::ffi::CStr;

use linux_raw_sys::general::{
    CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_REC,
    O_CLOEXEC, O_WRONLY,
};

use super::Spec;
use crate::error::Error;
use crate::sys::{self, trace, Errno, Fork};
use crate::text::{Buf, Packed};

/// The namespaces the parent creates before the fork (`--pid`, `--user`,
/// `--mount-proc`, and the subcommand's `Spec::outer`); `clone` hands them
/// to clone3 instead.
pub fn outer_flags(opts: &Spec) -> u32 {
    let on = |yes: bool, flag: u32| if yes { flag } else { 0 };
    on(opts.newpid, CLONE_NEWPID)
        | on(opts.user, CLONE_NEWUSER)
        | on(opts.mount_proc, CLONE_NEWNS)
        | opts.outer
}

/// unshare(2) the namespaces `opts` ask the parent for, with advice for
/// the usual failures.
pub fn unshare(opts: &Spec) -> Result<(), Error> {
    unshare_these(opts, outer_flags(opts))
}

/// In the namespace's first process: unshare(2) the namespaces it makes
/// for itself (`Spec::inner`).
pub fn unshare_inner(opts: &Spec) -> Result<(), Error> {
    unshare_these(opts, opts.inner)
}

fn unshare_these(opts: &Spec, flags: u32) -> Result<(), Error> {
    sys::unshare(flags).map_err(|e| failed(opts, t!("unshare"), e).with_flags(flags))
}

/// `clone`: the child, born in the namespaces `opts` ask for, from one
/// clone3(2) call; where clone3 is refused (ENOSYS: a kernel before 5.3,
/// or a seccomp policy, as container runtimes' default profiles have),
/// clone(2), which takes the same flags. `pidfd` gets the child's pidfd.
pub fn clone(opts: &Spec, pidfd: &mut i32) -> Result<Fork, Error> {
    let flags = outer_flags(opts);
    match sys::clone3(flags, pidfd) {
        Err(Errno::ENOSYS) => {
            trace::note(t!("clone3 refused (ENOSYS): trying clone(2)"));
            sys::clone(flags, pidfd).map_err(|e| failed(opts, t!("clone"), e))
        }
        r => r.map_err(|e| failed(opts, t!("clone3"), e)),
    }
}

/// The error line for a failed `call` that was to create the namespaces
/// `opts` ask for, with advice for the usual failures.
fn failed(opts: &Spec, call: Packed, e: Errno) -> Error {
    // `user` makes its user namespace in the child: the same advice.
    let eperm = if opts.user | (opts.inner == CLONE_NEWUSER) {
        t!(
            "this system does not let unprivileged users create user namespaces \
            (see sysctl user.max_user_namespaces); run it as root without --user"
        )
    } else {
        t!(
            "creating namespaces requires root (CAP_SYS_ADMIN); run it with sudo, \
            or add --user to create a user namespace first"
        )
    };
    Error::sys(call, e)
        .hint_on(Errno::EPERM, eperm)
        .hint_on(
            Errno::ENOSPC,
            t!(
                "a namespace limit was reached: /proc/sys/user/max_<type>_namespaces caps \
                how many may exist, and PID namespaces nest at most 32 deep"
            ),
        )
        .hint_on(
            Errno::EINVAL,
            t!("this kernel lacks a namespace type ns-tool asked for"),
        )
}

/// In a user namespace just created by this process: map user and group
/// `inside` ([uid, gid]) to the caller's `outside` ones (one ID each,
/// which an unprivileged user may do), after denying setgroups(2) as the
/// kernel requires for an unprivileged gid map. See user_namespaces(7).
pub fn map_ids(inside: [u32; 2], outside: [u32; 2]) -> Result<(), Error> {
    write_file(c"/proc/self/setgroups", Buf::new().p(t!("deny")))?;
    map(c"/proc/self/uid_map", inside[0], outside[0])?;
    map(c"/proc/self/gid_map", inside[1], outside[1])
}

/// Write one ID map of a single ID: `inside outside 1`.
#[inline(never)]
fn map(path: &'static CStr, inside: u32, outside: u32) -> Result<(), Error> {
    let mut text = Buf::new();
    text.udec(inside.into())
        .byte(b' ')
        .udec(outside.into())
        .p(t!(" 1"));
    write_file(path, &text)
}

pub fn write_file(path: &'static CStr, text: &Buf) -> Result<(), Error> {
    let ctx = |e| Error::sys(t!("write"), e).with_arg(path.to_bytes());
    let fd = sys::open(path, O_WRONLY | O_CLOEXEC).map_err(ctx)?;
    // The kernel takes an ID map only in one write.
    sys::write_all(fd.raw(), text.as_bytes()).map_err(ctx)
}

/// In a new mount namespace: stop mount events from travelling back to the
/// parent namespace, then mount a proc filesystem on /proc that shows this
/// PID namespace. Nothing changes outside, and it all vanishes with the
/// namespace.
pub fn mount_proc() -> Result<(), Error> {
    make_private()?;
    sys::mount(
        Some(c"proc"),
        c"/proc",
        Some(c"proc"),
        MS_NOSUID | MS_NODEV | MS_NOEXEC,
    )
    .map_err(|e| {
        Error::sys(t!("mount"), e)
            .with_arg(b"proc on /proc")
            .hint_on(Errno::ENOENT, t!("there is no /proc directory to mount on"))
    })
}

/// Make every mount of this mount namespace private, so that what is
/// mounted here stays here and the outside's mounts do not show up later.
pub fn make_private() -> Result<(), Error> {
    sys::mount(None, c"/", None, MS_REC | MS_PRIVATE).map_err(|e| {
        Error::sys(t!("mount"), e)
            .with_arg(b"/, MS_REC|MS_PRIVATE")
            .hint_on(Errno::EINVAL, t!("/ is not a mount point here (chroot?)"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_follow_the_options() {
        let mut o = Spec::default();
        assert_eq!(outer_flags(&o), CLONE_NEWPID);
        o.mount_proc = true;
        assert_eq!(outer_flags(&o), CLONE_NEWPID | CLONE_NEWNS);
        o.user = true;
        assert_eq!(outer_flags(&o), CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS);
        o.newpid = false;
        o.mount_proc = false;
        assert_eq!(outer_flags(&o), CLONE_NEWUSER);
        o.outer = linux_raw_sys::general::CLONE_NEWTIME;
        assert_eq!(
            outer_flags(&o),
            CLONE_NEWUSER | linux_raw_sys::general::CLONE_NEWTIME
        );
    }
}
