//! `ns-tool proc`: every namespace of a process, one line each, as
//! `name -> type:[inode]`, read from `/proc/PID/ns/`: getdents64(2) lists
//! the directory in the kernel's order, readlinkat(2) reads each link
//! relative to the open directory (so every link is the same process's,
//! even if the PID is reused meanwhile: the descriptor pins it).
//! `--compare PID2` reads PID2's link of the same name beside it: two
//! processes share a namespace exactly when the links are equal. Its
//! options go through syscalls' loop, its errors are the generic ones.

use core::ffi::CStr;

use linux_raw_sys::general::{O_CLOEXEC, O_DIRECTORY, O_RDONLY};

use crate::cli::{Command, Cursor, Opts, Usage, HELP_OPT, TRACE};
use crate::engine::procfs;
use crate::error::{Error, WRITE_STDOUT};
use crate::rt::out;
use crate::sys::{self, Errno, Fd};
use crate::text::{Buf, Packed};

/// Help for `ns-tool proc --help`.
pub const HELP: Packed = t!("Usage: ns-tool proc [--pid PID] [--compare PID2]

PID's namespaces (default: its own); --compare marks each same or not.
");

/// `--pid` and `--compare`: ids that take a value; the low bit is the
/// PID's place in `Command::Proc` (syscalls' loop reads it so).
const PID: u8 = 12 | crate::cli::VALUE;
const COMPARE: u8 = 13 | crate::cli::VALUE;
const _: () = assert!(PID & 1 == 0 && COMPARE & 1 == 1);

pub(super) const OPTS: Opts = Opts {
    names: t!("-h --help\n--trace\n--pid\n--compare"),
    ids: &[HELP_OPT, TRACE, PID, COMPARE],
};

/// `proc [--pid PID] [--compare PID2]`, read by the loop `syscalls` has.
pub fn parse(args: Cursor<'_>, trace: bool) -> Result<Command, Usage<'_>> {
    super::syscalls::options(args, trace, 2)
}

/// Print the namespaces of `pids[0]` (0: ns-tool's own), each compared
/// with `pids[1]`'s if that is not 0. (Out of line: measured smaller.)
#[inline(never)]
pub fn run(pids: [u32; 2]) -> Result<i32, Error> {
    // Both opened first: a missing PID2 is reported before any output.
    let dir = open(pids[0])?;
    let other = match pids[1] {
        0 => None,
        pid => Some(open(pid)?),
    };
    // /proc/PID/ns holds a dozen short records: one or two calls.
    let mut buf = [0u8; 1024];
    loop {
        let n = sys::getdents64(&dir, &mut buf).map_err(Error::ctx(t!("getdents64")))?;
        if n == 0 {
            return Ok(0);
        }
        let mut at = 0;
        while let Some((name, next)) = entry(&buf[..n], at) {
            at = next;
            // `.` and `..`: no other name here starts with a dot.
            if name.to_bytes_with_nul()[0] == b'.' {
                continue;
            }
            let mut mine = [0u8; 64];
            let mine = link(&dir, name, &mut mine)?;
            let mut line = Buf::new();
            line.esc(name.to_bytes()).p(t!(" -> ")).esc(mine);
            if let Some(o) = &other {
                let mut theirs = [0u8; 64];
                let theirs = link(o, name, &mut theirs)?;
                if mine == theirs {
                    line.p(t!(" same"));
                } else {
                    line.p(t!(" differs: ")).esc(theirs);
                }
            }
            out::emit(out::STDOUT, &mut line).map_err(Error::ctx(WRITE_STDOUT))?;
        }
    }
}

/// Open `/proc/PID/ns` (`/proc/self/ns` for 0) as a directory.
fn open(pid: u32) -> Result<Fd, Error> {
    let mut path = Buf::new();
    let path = procfs::path_of(&mut path, pid as i32, false, t!("/ns"));
    sys::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC).map_err(|e| {
        Error::sys(t!("openat"), e)
            .hint_on(Errno::ENOENT, t!("no such process:"))
            .with_detail(path.to_bytes())
    })
}

/// Link `name` of the open `/proc/PID/ns`, read into `buf` (a
/// `type:[inode]` is at most 30 bytes).
fn link<'b>(dir: &Fd, name: &CStr, buf: &'b mut [u8; 64]) -> Result<&'b [u8], Error> {
    let n = sys::readlink_in(dir, name, buf).map_err(Error::ctx(t!("readlinkat")))?;
    Ok(&buf[..n])
}

/// The record at `at` of what getdents64 wrote: its name (to its first
/// NUL) and where the next record starts; `None` at the end, or for a
/// record that does not fit (the kernel writes none).
pub fn entry(buf: &[u8], at: usize) -> Option<(&CStr, usize)> {
    // struct linux_dirent64: d_ino (8 bytes), d_off (8), d_reclen (2),
    // d_type (1), d_name (NUL-terminated, padded to 8).
    let len = usize::from(u16::from_ne_bytes([*buf.get(at + 16)?, *buf.get(at + 17)?]));
    let name = buf.get(at..at + len)?.get(19..)?;
    let nul = name.iter().position(|&c| c == 0)?;
    // SAFETY: `nul` is the first NUL, and it ends the slice.
    let name = unsafe { CStr::from_bytes_with_nul_unchecked(&name[..=nul]) };
    Some((name, at + len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// A linux_dirent64 record for `name`, padded to 8 bytes.
    fn record(name: &[u8]) -> Vec<u8> {
        let len = (19 + name.len() + 1).next_multiple_of(8);
        let mut r = std::vec![0u8; len];
        r[16..18].copy_from_slice(&(len as u16).to_ne_bytes());
        r[19..19 + name.len()].copy_from_slice(name);
        r
    }

    fn names(buf: &[u8]) -> Vec<Vec<u8>> {
        let mut at = 0;
        let mut got = Vec::new();
        while let Some((name, next)) = entry(buf, at) {
            got.push(name.to_bytes().to_vec());
            at = next;
        }
        got
    }

    #[test]
    fn records_in_order() {
        let buf: Vec<u8> = [&b"."[..], b"..", b"net", b"pid_for_children"]
            .iter()
            .flat_map(|n| record(n))
            .collect();
        assert_eq!(names(&buf), [&b"."[..], b"..", b"net", b"pid_for_children"]);
    }

    #[test]
    fn broken_records_end_the_walk() {
        let mut buf = record(b"net");
        buf.extend_from_slice(&record(b"uts")[..20]);
        assert_eq!(names(&buf), [b"net"]);
        // A zero length would never advance: it ends the walk.
        let mut zero = record(b"ipc");
        zero[16] = 0;
        assert_eq!(names(&zero), Vec::<Vec<u8>>::new());
        // No NUL in the record.
        let mut unterminated = record(b"mnt");
        for b in &mut unterminated[19..] {
            *b = b'x';
        }
        assert!(names(&unterminated).is_empty());
        assert!(names(&[]).is_empty());
    }

    #[test]
    fn own_namespaces() {
        let dir = open(0).unwrap();
        let mut buf = [0u8; 1024];
        let n = sys::getdents64(&dir, &mut buf).unwrap();
        let got = names(&buf[..n]);
        assert!(got.iter().any(|n| n == b"pid"), "{got:?}");
        let mut link = [0u8; 64];
        let len = sys::readlink_in(&dir, c"pid", &mut link).unwrap();
        assert!(link[..len].starts_with(b"pid:["));
    }
}
