//! What ns-tool reads about processes from /proc: a status file, and the
//! first child of a process.

use core::ffi::CStr;

use linux_raw_sys::general::{O_CLOEXEC, O_RDONLY};

use crate::engine::signals::Dispositions;
use crate::sys::{self, Errno};
use crate::text::{Buf, Packed};

/// Read `/proc/<pid>/status` (`/proc/self/status` for pid 0) into `buf`;
/// returns the bytes read.
pub fn status(pid: i32, buf: &mut [u8]) -> Result<&[u8], Errno> {
    read_proc(pid, false, t!("/status"), buf)
}

/// What process `pid` (0: this one) does with each signal.
pub fn dispositions(pid: i32) -> Result<Dispositions, Errno> {
    let mut buf = [0u8; 4096];
    Dispositions::parse(status(pid, &mut buf)?).ok_or(Errno::EINVAL)
}

/// Whether process `pid` is stopped (state `T` or `t`); `Err` once it
/// is gone.
pub fn stopped(pid: i32) -> Result<bool, Errno> {
    state(pid).map(|s| s == b'T' || s == b't')
}

/// The state letter of process `pid` in `/proc/<pid>/stat` (`R`, `S`,
/// `T`...); `Err` once it is gone.
pub fn state(pid: i32) -> Result<u8, Errno> {
    let mut buf = [0u8; 512];
    let stat = read_proc(pid, false, t!("/stat"), &mut buf)?;
    // "pid (comm) S ...": comm may hold anything, so look after its last ')'.
    let after = stat.iter().rposition(|&b| b == b')').ok_or(Errno::EINVAL)?;
    stat.get(after + 2).copied().ok_or(Errno::EINVAL)
}

/// The oldest living child of `pid`, from
/// `/proc/<pid>/task/<pid>/children` (a single-threaded process; the
/// kernel lists children oldest first).
pub fn first_child(pid: i32) -> Result<i32, Errno> {
    let mut buf = [0u8; 64];
    let text = read_proc(pid, true, t!("/children"), &mut buf)?;
    let digits = text.split(|&b| b == b' ').next().unwrap_or(b"");
    parse_pid(digits).ok_or(Errno::ESRCH)
}

fn parse_pid(digits: &[u8]) -> Option<i32> {
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    digits.iter().try_fold(0i32, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + i32::from(d - b'0'))
    })
}

/// Read `/proc/<pid><file>` (`/proc/self<file>` for pid 0), or with
/// `task`, `/proc/<pid>/task/<pid><file>`, into `buf`.
pub fn read_proc(pid: i32, task: bool, file: Packed, buf: &mut [u8]) -> Result<&[u8], Errno> {
    let mut path = Buf::new();
    read_file(path_of(&mut path, pid, task, file), buf)
}

/// `path` made `/proc/<pid><file>` as [`read_proc`] reads it, as a C
/// string. One function builds every /proc path (size); `ns-tool proc`'s
/// too.
#[inline(never)]
pub fn path_of(path: &mut Buf, pid: i32, task: bool, file: Packed) -> &core::ffi::CStr {
    path.p(t!("/proc/"));
    if pid == 0 {
        path.p(t!("self"));
    } else {
        path.dec(pid.into());
    }
    if task {
        path.p(t!("/task/")).dec(pid.into());
    }
    path.p(file);
    // The paths are short: c_str() never fails.
    path.c_str().unwrap_or(c"")
}

/// One read(2) is enough: /proc makes these files whole on each read, and
/// they are far shorter than the buffer.
fn read_file<'a>(path: &CStr, buf: &'a mut [u8]) -> Result<&'a [u8], Errno> {
    let fd = sys::open(path, O_RDONLY | O_CLOEXEC)?;
    let n = sys::read(fd.raw(), buf)?;
    Ok(&buf[..n])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    #[test]
    fn pids() {
        assert_eq!(parse_pid(b"4243"), Some(4243));
        assert_eq!(parse_pid(b""), None);
        assert_eq!(parse_pid(b"12x"), None);
        assert_eq!(parse_pid(b"9999999999"), None);
    }

    #[test]
    fn own_status_and_dispositions() {
        let mut buf = [0u8; 4096];
        let text = status(0, &mut buf).unwrap();
        assert!(text.starts_with(b"Name:"));
        assert!(dispositions(0).is_ok());
        let pid = std::process::id() as i32;
        assert!(dispositions(pid).is_ok());
        assert_eq!(dispositions(-5), Err(Errno::ENOENT));
    }

    #[test]
    fn stopped_state() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        assert_eq!(stopped(pid), Ok(false));
        // SAFETY: kill takes two integers.
        unsafe { syscalls::syscall2(syscalls::Sysno::kill, pid as usize, 19) }.unwrap();
        let mut seen = false;
        for _ in 0..100 {
            if stopped(pid) == Ok(true) {
                seen = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(seen);
        assert!(stopped(pid).is_err(), "gone");
    }

    #[test]
    fn first_child_is_found() {
        use std::io::{BufRead, BufReader};
        // sh is single-threaded: its children are its main task's.
        let mut sh = std::process::Command::new("sh")
            .args(["-c", "sleep 5 & echo $!; wait"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(sh.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let sleep: i32 = line.trim().parse().unwrap();
        let got = first_child(sh.id() as i32);
        // SAFETY: kill takes two integers.
        unsafe { syscalls::syscall2(syscalls::Sysno::kill, sleep as usize, 9) }.unwrap();
        sh.wait().unwrap();
        assert_eq!(got, Ok(sleep));
    }
}
