//! What the engine does as an init, for `ns-tool init` and `--pause`:
//! steps 2 and 3 of src/cmd/init.rs, and pausing.

use linux_raw_sys::general::{__WALL, SIGCHLD, SIGINT, SIGTERM, WNOHANG};

use crate::rt::argv::Argv;
use crate::sys::{self, SigSet};
use crate::text::Buf;

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
