//! Output formatting without an allocator: each line is formatted with
//! `core::fmt` into a fixed stack buffer and handed to the kernel in one
//! write(2), so lines from a parent and its child never interleave mid-line
//! (a pipe write of at most PIPE_BUF bytes is atomic) and no buffer is ever
//! duplicated by a fork.

use core::fmt;

use crate::sys::{self, Errno};

/// Standard output.
pub const STDOUT: i32 = 1;
/// Standard error.
pub const STDERR: i32 = 2;

/// Longest line ns-tool prints; longer text is cut and marked with `...`.
pub const LINE_MAX: usize = 512;

/// A fixed-size line buffer implementing [`fmt::Write`]. Text that does not
/// fit is dropped and the line ends in `...`, so formatting never fails.
pub struct Line {
    buf: [u8; LINE_MAX],
    len: usize,
    cut: bool,
}

impl Line {
    /// An empty line.
    pub const fn new() -> Self {
        Line {
            buf: [0; LINE_MAX],
            len: 0,
            cut: false,
        }
    }

    /// Format `args` into a new line.
    pub fn format(args: fmt::Arguments) -> Self {
        let mut line = Line::new();
        // Line::write_str never fails, so neither does this.
        let _ = fmt::write(&mut line, args);
        line
    }

    /// The text so far, with `...` if some of it did not fit.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Append a newline, making room for it (and the `...` mark) if needed.
    pub fn finish(&mut self) {
        if self.cut {
            self.len = self.len.min(LINE_MAX - 4);
            self.buf[self.len..self.len + 3].copy_from_slice(b"...");
            self.len += 3;
        } else if self.len == LINE_MAX {
            self.len -= 1;
        }
        self.buf[self.len] = b'\n';
        self.len += 1;
    }
}

impl Default for Line {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = LINE_MAX - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        if n < s.len() {
            self.cut = true;
        }
        Ok(())
    }
}

/// Format `args` plus a newline and write it to `fd` in a single write(2).
pub fn print_line(fd: i32, args: fmt::Arguments) -> Result<(), Errno> {
    let mut line = Line::format(args);
    line.finish();
    sys::write_all(fd, line.as_bytes())
}

/// Print one formatted line on standard output.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::out::print_line($crate::out::STDOUT, format_args!($($arg)*))
    };
}

/// Print one formatted line on standard error.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::out::print_line($crate::out::STDERR, format_args!($($arg)*))
    };
}

/// Displays bytes from the command line or the kernel as text: valid UTF-8
/// as is, control characters and invalid bytes as `\xNN`.
pub struct Escaped<'a>(pub &'a [u8]);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                if c.is_control() && c != '\t' {
                    write!(f, "\\x{:02x}", c as u32)?;
                } else {
                    write!(f, "{c}")?;
                }
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

/// Displays an errno as `Operation not permitted (EPERM)`, the way the
/// error lines name it. (`Errno`'s own Display adds the raw `-1` value.)
pub struct ErrnoText(pub Errno);

impl fmt::Display for ErrnoText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match crate::errno::describe(self.0) {
            Some((name, text)) => write!(f, "{text} ({name})"),
            None => write!(f, "unknown error (errno {})", self.0.into_raw()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;
    use std::string::String;

    fn finished(args: fmt::Arguments) -> String {
        let mut line = Line::format(args);
        line.finish();
        String::from_utf8(line.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn short_line_gets_a_newline() {
        assert_eq!(
            finished(format_args!("PID inside namespace: {}", 1)),
            "PID inside namespace: 1\n"
        );
    }

    #[test]
    fn long_line_is_cut_and_marked() {
        let long = "x".repeat(LINE_MAX * 2);
        let s = finished(format_args!("{long}"));
        assert_eq!(s.len(), LINE_MAX);
        assert!(s.ends_with("...\n"), "{s:?}");
    }

    #[test]
    fn line_of_exactly_max_keeps_its_newline() {
        let exact = "y".repeat(LINE_MAX);
        let s = finished(format_args!("{exact}"));
        assert_eq!(s.len(), LINE_MAX);
        assert!(s.ends_with("y\n"));
    }

    #[test]
    fn escaped_shows_invalid_utf8_and_controls() {
        let s = format!("{}", Escaped(b"ok-\xff\x1b\xc3\xa9"));
        assert_eq!(s, "ok-\\xff\\x1bé");
    }

    #[test]
    fn errno_text_names_the_error() {
        assert_eq!(
            format!("{}", ErrnoText(Errno::EPERM)),
            "Operation not permitted (EPERM)"
        );
        assert_eq!(
            format!("{}", ErrnoText(Errno::new(4000))),
            "unknown error (errno 4000)"
        );
    }
}
