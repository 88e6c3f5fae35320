//! The few system calls std does not offer.

use std::ffi::CString;
use std::io::Write;

/// Write all of `bytes` to stdout (the console), ignoring errors: there is
/// nowhere else to report them.
pub fn write_stdout(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes);
    let _ = out.flush();
}

/// Wait until the console has really sent what was written to it. A serial
/// tty transmits from a buffer in the background: powering off (or exec'ing
/// a program whose exit panics the kernel) right after a write could lose
/// the tail of it.
pub fn drain_stdout() {
    // Fails with ENOTTY when stdout is a pipe or file: nothing to wait for.
    unsafe { libc::tcdrain(1) };
}

/// Time since the kernel started (CLOCK_BOOTTIME), in milliseconds.
pub fn uptime_ms() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) };
    ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000
}

fn mount(source: &str, target: &str, fstype: &str) -> Result<(), String> {
    let _ = std::fs::create_dir_all(target);
    let c = |s: &str| CString::new(s).unwrap();
    let (src, tgt, fs) = (c(source), c(target), c(fstype));
    let rc = unsafe { libc::mount(src.as_ptr(), tgt.as_ptr(), fs.as_ptr(), 0, std::ptr::null()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(format!(
            "mount {fstype} on {target}: {}",
            std::io::Error::last_os_error()
        ))
    }
}

/// /proc (ns-tool reads its namespace links and NSpid there), /dev
/// (devtmpfs: /dev/null and friends) and a writable /tmp.
pub fn mount_basics() {
    for (source, target, fstype) in [
        ("proc", "/proc", "proc"),
        ("devtmpfs", "/dev", "devtmpfs"),
        ("tmpfs", "/tmp", "tmpfs"),
    ] {
        if let Err(e) = mount(source, target, fstype) {
            panic!("{e}");
        }
    }
}

/// Switch the machine off. QEMU (started with -no-reboot) then exits.
pub fn power_off() -> ! {
    unsafe {
        libc::sync();
        libc::reboot(libc::LINUX_REBOOT_CMD_POWER_OFF);
    }
    // Not reached; should reboot(2) ever fail, exiting as PID 1 panics the
    // kernel, and with panic=-1 and -no-reboot that ends QEMU just as well.
    std::process::exit(1)
}
