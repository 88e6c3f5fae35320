//! Output, one write(2) per line: a line is built in a fixed buffer
//! ([`Buf`]) and handed to the kernel whole, so lines from a parent and its
//! child never interleave mid-line (a pipe write of at most PIPE_BUF bytes
//! is atomic) and no buffer is ever duplicated by a fork.

use core::sync::atomic::{AtomicI32, Ordering::Relaxed};

use crate::sys::{self, Errno};
use crate::text::{Buf, Packed};

/// Standard output.
pub const STDOUT: i32 = 1;
/// Standard error.
pub const STDERR: i32 = 2;

/// Write the line that `f` builds, and a newline, to `fd` in one write(2).
#[inline(always)]
pub fn line(fd: i32, f: impl FnOnce(&mut Buf)) -> Result<(), Errno> {
    let mut b = Buf::new();
    f(&mut b);
    emit(fd, &mut b)
}

/// Write a packed text, however long, to `fd`, a buffer at a time.
pub fn text(fd: i32, text: Packed) -> Result<(), Errno> {
    let mut b = Buf::new();
    for byte in text.unpack() {
        if b.as_bytes().len() == crate::text::LINE_MAX {
            sys::write_all(fd, b.as_bytes())?;
            b = Buf::new();
        }
        b.byte(byte);
    }
    sys::write_all(fd, b.as_bytes())
}

/// End `b` with a newline and write it to `fd`.
pub fn emit(fd: i32, b: &mut Buf) -> Result<(), Errno> {
    sys::write_all(fd, b.nl().as_bytes())
}

/// The first error writing to standard output (0: none yet).
static STDOUT_FAILED: AtomicI32 = AtomicI32::new(0);

/// One line on standard output. A failure is kept, as stdio's ferror
/// does, and later lines are not written: `error::stdout_result` reports it,
/// once the caller has done what it must do anyway.
#[inline(always)]
pub fn out(f: impl FnOnce(&mut Buf)) {
    if STDOUT_FAILED.load(Relaxed) == 0 {
        let mut b = Buf::new();
        f(&mut b);
        put(&mut b);
    }
}

/// Write `b` as a line on standard output, keeping a failure. Not inlined
/// (size): every [`out`] shares it.
#[inline(never)]
fn put(b: &mut Buf) {
    if let Err(e) = emit(STDOUT, b) {
        STDOUT_FAILED.store(e.into_raw(), Relaxed);
    }
}

/// One fixed line on standard output (see [`out`]).
pub fn say(text: Packed) {
    out(|b| {
        b.p(text);
    })
}

/// The first error writing to standard output, if any (see
/// `error::stdout_result`).
pub fn stdout_failed() -> Option<Errno> {
    match STDOUT_FAILED.load(Relaxed) {
        0 => None,
        e => Some(Errno::new(e)),
    }
}

/// One line on standard error, for messages that have nowhere to go if
/// it fails.
#[inline(always)]
pub fn err(f: impl FnOnce(&mut Buf)) {
    let _ = line(STDERR, f);
}
