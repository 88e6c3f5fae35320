//! `ns-tool init`: be COMMAND's init without creating a namespace, as
//! tini, dumb-init and catatonit are: PID 1 of a container or a VM, or,
//! anywhere else, a child subreaper that orphans come to. It runs on
//! `pid`'s engine (src/pid.rs) without the unshare; this file holds what
//! only an init does:
//!
//! 1. Not PID 1: PR_SET_CHILD_SUBREAPER. PID 1 of the machine (the first
//!    PID namespace, e.g. booted with `rdinit=/ns-tool`): mount /proc,
//!    /sys and /dev where they are missing.
//! 2. In COMMAND, before exec: point LISTEN_PID at it.
//! 3. Once COMMAND runs: leave the launch directory for / and close
//!    inherited descriptors, so that a long-lived init pins no mount and
//!    holds no file open.
//! 4. When COMMAND has ended, a machine's PID 1 powers the machine off,
//!    since its exit would panic the kernel.
//!
//! docs/init.md gives each step's reason, next to the other tools.

use core::ffi::CStr;

use linux_raw_sys::general::{
    __WALL, MS_NODEV, MS_NOEXEC, MS_NOSUID, O_PATH, O_RDWR, SIGCHLD, SIGINT, SIGTERM, WNOHANG,
};

use crate::error::Error;
use crate::rt::argv::Argv;
use crate::rt::out;
use crate::sys::{self, SigSet};
use crate::text::Buf;

/// The inode of the first PID namespace (PROC_PID_INIT_INO).
const FIRST_PID_NS: &[u8; 16] = b"pid:[4026531836]";

/// Step 1, for ns-tool with PID `me`; true if it is the machine's PID 1.
#[inline(always)]
pub fn prepare(me: i32) -> Result<bool, Error> {
    if me != 1 {
        sys::set_child_subreaper().map_err(Error::ctx(t!("prctl(PR_SET_CHILD_SUBREAPER)")))?;
        return Ok(false);
    }
    // A container's runtime mounts /proc; a machine's kernel does not.
    mount_missing(
        c"/proc/self",
        c"/proc",
        c"proc",
        MS_NOSUID | MS_NODEV | MS_NOEXEC,
    );
    // Room for a longer link, which does not match; compared as a
    // fixed-size array (no slice bounds to check).
    let mut link = [0u8; 32];
    let n = sys::readlink(c"/proc/self/ns/pid", &mut link);
    if n != Ok(FIRST_PID_NS.len()) || link[..16] != *FIRST_PID_NS {
        return Ok(false);
    }
    mount_missing(
        c"/sys/kernel",
        c"/sys",
        c"sysfs",
        MS_NOSUID | MS_NODEV | MS_NOEXEC,
    );
    // devtmpfs holds the device nodes: it must allow them.
    mount_missing(c"/dev/null", c"/dev", c"devtmpfs", MS_NOSUID);
    // Without /dev/console in the initramfs the kernel opens no standard
    // descriptors: take the lowest free ones until 0, 1 and 2 are there.
    while let Ok(fd) = sys::open(c"/dev/console", O_RDWR) {
        if fd.raw() > 2 {
            break;
        }
        core::mem::forget(fd);
    }
    Ok(true)
}

/// Mount `fstype` on `dir` with `flags` (creating it if need be) unless
/// `probe`, which it provides, is there already. Failures are told, not fatal: COMMAND
/// may not need it.
fn mount_missing(probe: &CStr, dir: &'static CStr, fstype: &CStr, flags: u32) {
    if sys::open(probe, O_PATH).is_ok() {
        return;
    }
    let _ = sys::mkdir(dir);
    if let Err(e) = sys::mount(Some(fstype), dir, Some(fstype), flags) {
        Error::sys(t!("mount"), e).with_arg(dir.to_bytes()).report();
    }
}

/// Step 3, in ns-tool once COMMAND has what it inherits.
pub fn housekeeping() {
    let _ = sys::chdir(c"/");
    let _ = sys::close_from(3);
}

/// `--pause`: run nothing; reap whatever ends up here, and exit 0 at
/// SIGINT or SIGTERM, as catatonit -P does for a pod's infra container.
pub fn pause(waited: SigSet) -> i32 {
    loop {
        // With no timeout it fails only with EINTR: wait again.
        let Ok(info) = sys::sigwait(&waited, None) else {
            continue;
        };
        match info.sig {
            SIGINT | SIGTERM => return 0,
            SIGCHLD => while let Ok((1.., _)) = sys::wait4(-1, WNOHANG | __WALL) {},
            _ => {}
        }
    }
}

/// systemd's socket activation passes sockets "for" the PID in
/// LISTEN_PID: if that is ns-tool, make it COMMAND (as catatonit does), or
/// sd_listen_fds() there finds none. In the child, before exec; `entry`
/// holds the new variable until then.
pub fn listen_pid(argv: &Argv, entry: &mut Buf) {
    let Some((at, value)) = argv.env_at(b"LISTEN_PID") else {
        return;
    };
    // `entry` holds the parent's PID to compare, then the new variable.
    if value != entry.dec(sys::getppid().into()).as_bytes() {
        return;
    }
    *entry = Buf::new();
    entry.p(t!("LISTEN_PID=")).dec(sys::getpid().into());
    if let Some(entry) = entry.c_str() {
        // SAFETY: `at` is LISTEN_PID's entry; `entry` lives in the
        // caller's frame, which execs.
        unsafe { argv.set_env(at, entry) };
    }
}

/// Step 4: a machine's PID 1 must not exit (the kernel would panic): say
/// how COMMAND ended, flush the disks and power off. Returns `code` only
/// if reboot(2) failed.
#[inline(always)]
pub fn power_off(code: i32) -> i32 {
    out::err(|b| {
        b.p(t!("ns-tool: COMMAND's exit status "))
            .dec(code.into())
            .p(t!("; powering off"));
    });
    sys::sync();
    Error::sys(t!("reboot(LINUX_REBOOT_CMD_POWER_OFF)"), sys::power_off()).report();
    code
}
