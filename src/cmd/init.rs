//! `ns-tool init`: be COMMAND's init without creating a namespace, as
//! tini, dumb-init and catatonit are: PID 1 of a container or a VM, or,
//! anywhere else, a child subreaper that orphans come to. It runs on the
//! engine (src/engine/) without the unshare; this file holds what only a
//! machine's init does, steps 1 and 4 (steps 2 and 3, and `--pause`, are
//! the engine's: src/engine/init.rs):
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

use linux_raw_sys::general::{MS_NODEV, MS_NOEXEC, MS_NOSUID, O_PATH, O_RDWR};

use super::pid::{parse_run, Recipe};
use crate::cli::{Command, Cursor, Opts, Usage, EXIT_ZERO, GROUP, HELP_OPT, PAUSE, REWRITE, SUBREAPER, TRACE};
use crate::error::Error;
use crate::rt::out;
use crate::sys;
use crate::text::Packed;

/// Help for `ns-tool init --help`.
pub const HELP: Packed = t!("Usage: ns-tool init [OPTIONS] [--] COMMAND [ARGS...]

Be COMMAND's init without a new namespace: PID 1 of a container or VM,
else a subreaper. Signals are passed on once, orphans reaped; the exit
status is COMMAND's. A machine's PID 1 also mounts /proc, /sys and /dev,
and powers off at the end (docs/init.md).

Options:
  -g, --group        signal COMMAND's process group (tini -g)
  -e, --exit-zero N  exit 0 when COMMAND exits N (tini -e)
  -r, --rewrite S:T  pass signal S on as T; T 0 drops it (dumb-init -r)
  -P, --pause        run nothing; exit 0 on SIGINT/SIGTERM (catatonit -P)
  -s, --subreaper    accepted (tini -s)
  --trace            print every system call on stderr
");

/// `init`'s options: tini's, dumb-init's and catatonit's, in ns-tool's
/// spelling (HELP_INIT says which is which).
pub const OPTS: Opts = Opts {
    names: t!("-h --help
--trace
-g --group
-e --exit-zero
-r --rewrite
-P --pause
-s --subreaper"),
    ids: &[HELP_OPT, TRACE, GROUP, EXIT_ZERO, REWRITE, PAUSE, SUBREAPER],
};

/// `init [OPTIONS] [--] COMMAND [ARGS...]`: on the engine, as `pid`.
pub fn parse(args: Cursor<'_>, trace: bool) -> Result<Command, Usage<'_>> {
    parse_run(args, trace, &RECIPE)
}

/// A few of `pid`'s options, and no namespace.
static RECIPE: Recipe = Recipe {
    name: "init",
    opts: &OPTS,
    help: HELP,
    newpid: false,
    bare_init: true,
    ..super::pid::RECIPE
};

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
