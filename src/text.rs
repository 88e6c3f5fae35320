//! The one writer ns-tool formats everything with: a fixed buffer and the
//! few things ns-tool prints (bytes, text, integers, escaped bytes). It
//! replaces core::fmt, whose machinery (Formatter, padding, Arguments)
//! would be most of the binary's size. It imports nothing, so every layer
//! may use it.
//!
//! ```
//! let mut b = ns_tool::text::Buf::new();
//! b.s("PID inside namespace: ").dec(1).nl();
//! assert_eq!(b.as_bytes(), b"PID inside namespace: 1\n");
//! ```

// `t!` is defined in here; `#[macro_use]` (here and on `mod text` in
// lib.rs, which comes first) makes it usable in every module after it.
#[macro_use]
mod packed {
    include!(concat!(env!("OUT_DIR"), "/packed.rs"));
}

/// A text packed at build time: write `t!("...")` where a `&str` would do,
/// and [`Buf::p`] to write it (build/pack.rs says how and why). It is
/// where the text starts in the pool of packed texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packed(pub u16);

impl Packed {
    /// Its bytes, unpacked.
    pub fn unpack(self) -> Unpack {
        Unpack {
            at: self.0.into(),
            stack: [0; 11 + packed::DEPTH],
            depth: 0,
        }
    }

    /// Its bytes from entry `n` on (0 is the first), each entry ended by
    /// `end`: a table packed as one text.
    pub fn entry(self, n: usize, end: u8) -> Unpack {
        let mut it = self.unpack();
        for _ in 0..n {
            it.find(|&c| c == end);
        }
        it
    }
}

/// The bytes of a [`Packed`] text: a symbol under `CHARS.len()` stands for
/// a byte (packed::CHARS), a higher one for a pair of symbols
/// (packed::PAIRS), each of which may be a pair again, and packed::REF
/// for symbols from earlier in the pool; a NUL ends it.
#[derive(Clone)]
pub struct Unpack {
    /// The next symbol in packed::POOL.
    at: usize,
    /// Symbols still to expand, the next on top: a reference's, and
    /// the pairs'.
    stack: [u8; 11 + packed::DEPTH],
    depth: usize,
}

impl Iterator for Unpack {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        loop {
            let sym = if self.depth > 0 {
                self.depth -= 1;
                self.stack[self.depth]
            } else {
                let &sym = packed::POOL.get(self.at)?;
                self.at += 1;
                if sym == packed::REF {
                    // 4 to 11 symbols from earlier in the pool (a u16: the
                    // offset, 13 bits, and the length less 4), to expand
                    // as if they stood here.
                    let r = packed::POOL.get(self.at..self.at + 2)?;
                    let r = usize::from(u16::from_le_bytes([r[0], r[1]]));
                    self.at += 2;
                    let from = r & 0x1fff;
                    for &s in packed::POOL.get(from..from + (r >> 13) + 4)?.iter().rev() {
                        self.stack[self.depth] = s;
                        self.depth += 1;
                    }
                    continue;
                }
                sym
            };
            let sym = usize::from(sym);
            match packed::PAIRS.get(sym.wrapping_sub(packed::CHARS.len())) {
                Some(&[a, b]) => {
                    self.stack[self.depth] = b;
                    self.stack[self.depth + 1] = a;
                    self.depth += 2;
                }
                // NUL is 0: the end, for good.
                None if sym == 0 => {
                    self.at = packed::POOL.len();
                    self.depth = 0;
                    return None;
                }
                None => return packed::CHARS.get(sym).copied(),
            }
        }
    }
}

/// Longest line ns-tool prints; longer text is cut and marked `...`.
pub const LINE_MAX: usize = 512;

/// A line being written. Text that does not fit is dropped and the line
/// ends in `...`, so writing never fails.
#[repr(C)]
pub struct Buf {
    /// Bytes written; one more than LINE_MAX once text has been cut (one
    /// field, so that starting a line is one store).
    len: usize,
    /// Only `buf[..len]` is ever written or read: nothing to zero first.
    buf: core::mem::MaybeUninit<[u8; LINE_MAX]>,
}

impl Default for Buf {
    fn default() -> Self {
        Self::new()
    }
}

impl Buf {
    /// An empty line.
    pub const fn new() -> Self {
        Buf {
            buf: core::mem::MaybeUninit::uninit(),
            len: 0,
        }
    }

    /// Append bytes as they are.
    #[inline(never)]
    pub fn b(&mut self, bytes: &[u8]) -> &mut Self {
        for &byte in bytes {
            self.byte(byte);
        }
        self
    }

    /// Append one byte.
    #[inline(never)]
    pub fn byte(&mut self, byte: u8) -> &mut Self {
        if self.len < LINE_MAX {
            // SAFETY: in bounds.
            unsafe { (self.buf.as_mut_ptr() as *mut u8).add(self.len).write(byte) };
            self.len += 1;
        } else {
            self.len = LINE_MAX + 1;
        }
        self
    }

    /// Append text.
    #[inline(never)]
    pub fn s(&mut self, text: &str) -> &mut Self {
        self.b(text.as_bytes())
    }

    /// Append a packed text, unpacked.
    #[inline(never)]
    pub fn p(&mut self, text: Packed) -> &mut Self {
        // A NUL ends every text: it never reaches `until`.
        self.until(&mut text.unpack(), 0)
    }

    /// Append what `it` yields up to `end`, which it consumes unwritten:
    /// one entry of a packed table.
    #[inline(never)]
    pub fn until(&mut self, it: &mut Unpack, end: u8) -> &mut Self {
        for byte in it.by_ref() {
            if byte == end {
                break;
            }
            self.byte(byte);
        }
        self
    }

    /// Append a signed decimal number.
    #[inline(never)]
    pub fn dec(&mut self, n: i64) -> &mut Self {
        if n < 0 {
            self.byte(b'-');
        }
        self.udec(n.unsigned_abs())
    }

    /// Append an unsigned decimal number.
    #[inline(never)]
    pub fn udec(&mut self, mut n: u64) -> &mut Self {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.b(&digits[i..])
    }

    /// Append `0x` and a hexadecimal number (lower case, no padding).
    #[inline(never)]
    pub fn hex(&mut self, n: u64) -> &mut Self {
        self.s("0x");
        let mut shift = 60;
        while shift > 0 && (n >> shift) & 0xf == 0 {
            shift -= 4;
        }
        loop {
            self.byte(b"0123456789abcdef"[((n >> shift) & 0xf) as usize]);
            if shift == 0 {
                return self;
            }
            shift -= 4;
        }
    }

    /// Append bytes from the command line or the kernel as text: valid
    /// UTF-8 as it is, control characters (but tab) and bytes that are
    /// not UTF-8 as `\xNN`, so a line never carries terminal controls.
    #[inline(never)]
    pub fn esc(&mut self, bytes: &[u8]) -> &mut Self {
        let mut i = 0;
        while i < bytes.len() {
            let n = utf8_len(&bytes[i..]);
            let c = bytes[i];
            let control = n == 1 && (c < 0x20 && c != b'\t' || c == 0x7f)
                || n == 2 && c == 0xc2 && bytes[i + 1] < 0xa0;
            if n == 0 || control {
                // An invalid byte shows as itself; a control as its code
                // point (a C1 control, U+0080..U+009F, is 0xc2 and it).
                let x = if n == 2 { bytes[i + 1] } else { c };
                self.s("\\x");
                self.byte(b"0123456789abcdef"[usize::from(x >> 4)]);
                self.byte(b"0123456789abcdef"[usize::from(x & 0xf)]);
                i += n.max(1);
            } else {
                self.b(&bytes[i..i + n]);
                i += n;
            }
        }
        self
    }

    /// Append a quoted C string, as strace shows one: `"..."`, escaped.
    #[inline(never)]
    pub fn quoted(&mut self, bytes: &[u8]) -> &mut Self {
        self.byte(b'"').esc(bytes).byte(b'"')
    }

    /// End the line: a newline, and `...` before it if text was cut.
    #[inline(never)]
    pub fn nl(&mut self) -> &mut Self {
        if self.len > LINE_MAX {
            self.len = LINE_MAX - 4;
            self.b(b"...");
        } else if self.len == LINE_MAX {
            self.len -= 1;
        }
        self.byte(b'\n')
    }

    /// The text so far.
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: the first `len` bytes (at most LINE_MAX) have been written.
        unsafe {
            core::slice::from_raw_parts(self.buf.as_ptr() as *const u8, self.len.min(LINE_MAX))
        }
    }

    /// The text so far as a C string (a NUL is added), e.g. a path built
    /// for a system call; `None` if it did not fit.
    #[inline(never)]
    pub fn c_str(&mut self) -> Option<&core::ffi::CStr> {
        if self.len >= LINE_MAX {
            return None;
        }
        self.byte(0);
        // SAFETY: the NUL just written ends the string inside `buf`. (Size:
        // from_bytes_until_nul would inline a whole memchr.)
        Some(unsafe { core::ffi::CStr::from_ptr(self.buf.as_ptr().cast()) })
    }
}

/// The length of the well-formed UTF-8 sequence `bytes` starts with, or 0
/// if it does not start with one.
fn utf8_len(bytes: &[u8]) -> usize {
    let c = bytes[0];
    let (n, min) = match c {
        0x00..=0x7f => return 1,
        0xc2..=0xdf => (2, 0x80),
        0xe0..=0xef => (3, 0x800),
        0xf0..=0xf4 => (4, 0x10000),
        _ => return 0,
    };
    if bytes.len() < n || !bytes[1..n].iter().all(|&b| b & 0xc0 == 0x80) {
        return 0;
    }
    let mut v = u32::from(c) & (0x7f >> n);
    for &b in &bytes[1..n] {
        v = v << 6 | u32::from(b & 0x3f);
    }
    // No overlong forms, surrogates, or values past U+10FFFF.
    if v < min || (0xd800..=0xdfff).contains(&v) || v > 0x10ffff {
        0
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl Fn(&mut Buf)) -> std::string::String {
        let mut b = Buf::new();
        f(&mut b);
        std::string::String::from_utf8(b.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn numbers() {
        assert_eq!(
            text(|b| {
                b.dec(0);
            }),
            "0"
        );
        assert_eq!(
            text(|b| {
                b.dec(-42);
            }),
            "-42"
        );
        assert_eq!(
            text(|b| {
                b.dec(i64::MIN);
            }),
            "-9223372036854775808"
        );
        assert_eq!(
            text(|b| {
                b.udec(u64::MAX);
            }),
            "18446744073709551615"
        );
        assert_eq!(
            text(|b| {
                b.hex(0);
            }),
            "0x0"
        );
        assert_eq!(
            text(|b| {
                b.hex(0x20);
            }),
            "0x20"
        );
        assert_eq!(
            text(|b| {
                b.hex(u64::MAX);
            }),
            "0xffffffffffffffff"
        );
    }

    #[test]
    fn escaped_as_core_fmt_displayed_it() {
        // Valid UTF-8 as is, controls and invalid bytes as \xNN.
        assert_eq!(
            text(|b| {
                b.esc(b"ok-\xff\x1b\xc3\xa9\t\x7f");
            }),
            "ok-\\xff\\x1bé\t\\x7f"
        );
        // Overlong, surrogate and truncated sequences are not UTF-8.
        assert_eq!(
            text(|b| {
                b.esc(b"\xc0\xaf");
            }),
            "\\xc0\\xaf"
        );
        assert_eq!(
            text(|b| {
                b.esc(b"\xed\xa0\x80");
            }),
            "\\xed\\xa0\\x80"
        );
        assert_eq!(
            text(|b| {
                b.esc(b"\xe2\x82");
            }),
            "\\xe2\\x82"
        );
        assert_eq!(
            text(|b| {
                b.esc("€𝄞".as_bytes());
            }),
            "€𝄞"
        );
        // A C1 control is a control character too, shown by code point.
        assert_eq!(
            text(|b| {
                b.esc("\u{85}".as_bytes());
            }),
            "\\x85"
        );
        assert_eq!(
            text(|b| {
                b.quoted(b"/proc");
            }),
            "\"/proc\""
        );
    }

    #[test]
    fn escaping_matches_char_is_control_on_every_short_input() {
        // The reference is what core::fmt printed before: chars that are
        // is_control() (but tab) as \xNN of their code point, invalid
        // bytes as \xNN.
        fn reference(bytes: &[u8]) -> std::string::String {
            let mut s = std::string::String::new();
            for chunk in bytes.utf8_chunks() {
                for c in chunk.valid().chars() {
                    if c.is_control() && c != '\t' {
                        s.push_str(&std::format!("\\x{:02x}", c as u32));
                    } else {
                        s.push(c);
                    }
                }
                for x in chunk.invalid() {
                    s.push_str(&std::format!("\\x{x:02x}"));
                }
            }
            s
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 6) as usize;
            let bytes: std::vec::Vec<u8> = (0..len).map(|i| (x >> (8 * i)) as u8).collect();
            assert_eq!(
                text(|b| {
                    b.esc(&bytes);
                }),
                reference(&bytes),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn every_packed_text_unpacks_to_itself() {
        assert!(!packed::ALL.is_empty());
        for &(value, at) in packed::ALL {
            let got: std::vec::Vec<u8> = Packed(at).unpack().collect();
            assert_eq!(got, value);
        }
    }

    #[test]
    fn long_lines_are_cut_and_marked() {
        let long = "x".repeat(LINE_MAX * 2);
        let s = text(|b| {
            b.s(&long).nl();
        });
        assert_eq!(s.len(), LINE_MAX);
        assert!(s.ends_with("...\n"));
        let exact = "y".repeat(LINE_MAX);
        let s = text(|b| {
            b.s(&exact).nl();
        });
        assert_eq!(s.len(), LINE_MAX);
        assert!(s.ends_with("y\n"));
        assert_eq!(
            text(|b| {
                b.s("a").nl();
            }),
            "a\n"
        );
    }
}
