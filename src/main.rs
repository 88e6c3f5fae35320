//! The freestanding runtime of the `ns-tool` binary: program entry, panic
//! handler and the few memory routines the compiler expects. There is no
//! libc underneath: `_start` below is the first instruction ns-tool runs,
//! and every system call goes through `ns_tool::sys`.
//!
//! Link set-up lives in build.rs (no C start files, static) and
//! .cargo/config.toml (musl targets: no bundled crt/libc, non-PIE).

#![no_std]
#![no_main]

use core::ffi::c_char;
use core::panic::PanicInfo;

use ns_tool::rt::argv::Argv;
use ns_tool::sys;

// The kernel starts a process with the stack pointer at `argc`, followed by
// the argv pointers. Hand that address to `entry`, with the stack aligned as
// the C ABI requires and a zeroed frame pointer marking the outermost frame.
#[cfg(target_arch = "x86_64")]
core::arch::global_asm!(
    ".globl _start",
    ".type _start,@function",
    "_start:",
    "xor ebp, ebp",
    "mov rdi, rsp",
    "and rsp, -16",
    "call {entry}",
    "ud2",
    entry = sym entry,
);

#[cfg(target_arch = "aarch64")]
core::arch::global_asm!(
    ".globl _start",
    ".type _start,%function",
    "_start:",
    "mov x29, #0",
    "mov x30, #0",
    "mov x0, sp",
    "and x1, x0, #-16",
    "mov sp, x1",
    "bl {entry}",
    "udf #0",
    entry = sym entry,
);

/// Reads argv from the initial stack and runs ns-tool.
///
/// # Safety
/// `sp` must be the process's initial stack pointer as set up by execve(2).
unsafe extern "C" fn entry(sp: *const usize) -> ! {
    // SAFETY: per execve(2), the initial stack holds argc, then argc
    // pointers to NUL-terminated strings and a NULL, then the environment
    // pointers and a NULL, then the auxiliary vector (type/value pairs up
    // to AT_NULL); all live as long as the process.
    // The environment pointers follow argv's terminating NULL.
    let argv = unsafe {
        let argc = *sp;
        let argv = sp.add(1) as *const *const c_char;
        Argv::from_raw(argc, argv, argv.add(argc + 1))
    };
    // A setuid, setgid or file-capability copy would hand its privileges to
    // whoever runs it (`ns-tool pid -- sh`: a root shell for everyone).
    // Refuse before parsing argv or tracing, with no other system call:
    // one write, then exit (docs/security.md).
    if argv.secure() {
        let _ = ns_tool::rt::out::text(2, ns_tool::SECURE_REFUSAL);
        sys::exit_group(ns_tool::error::EXIT_SECURE)
    }
    sys::exit_group(ns_tool::main(&argv))
}

/// A bug, not a user error: one line on stderr and exit status 101 (Rust's
/// usual panic status). No unwinding, and exit_group ends only the process
/// that panicked, so a panicking child cannot take its parent down. The
/// line is fixed: reading `PanicInfo` would keep the panic messages and
/// core::fmt in the binary (about 6 KB).
#[cfg(not(feature = "failpoints"))]
#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    let _ = sys::write_all(
        2,
        b"ns-tool: internal error (a bug in ns-tool; please report it)\n",
    );
    sys::exit_group(101)
}

/// The test build with fault injection says which failpoint fired.
#[cfg(feature = "failpoints")]
#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    use core::fmt::Write;
    let mut b = ns_tool::text::Buf::new();
    let _ = write!(Fmt(&mut b), "ns-tool: internal error: {}", info.message());
    let _ = ns_tool::rt::out::emit(2, &mut b);
    sys::exit_group(101)
}

/// core::fmt into a Buf, for the failpoints build only.
#[cfg(feature = "failpoints")]
struct Fmt<'a>(&'a mut ns_tool::text::Buf);

#[cfg(feature = "failpoints")]
impl core::fmt::Write for Fmt<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.s(s);
        Ok(())
    }
}

/// The standard library's precompiled `core` is built with panic=unwind, so
/// its object files carry unwind tables that name `rust_eh_personality`.
/// Release builds drop them with LTO; unoptimised builds (`cargo test`,
/// `cargo run`) still make the linker resolve the name. ns-tool is built
/// with panic=abort and never unwinds, so the personality routine is never
/// called: an empty definition satisfies the linker without pulling in an
/// unwinder, and costs nothing in release builds, where it is discarded.
#[no_mangle]
extern "C" fn rust_eh_personality() {}

// Memory and string routines. The compiler emits calls to these for copies,
// fills, comparisons and NUL scans (it even turns a plain "find the NUL"
// loop into a strlen call); without libc, ns-tool provides them. The byte loops use
// volatile accesses so the optimiser cannot turn a loop back into a call to
// the very function it is in. ns-tool only moves a few kilobytes in all.

/// # Safety
/// As C's memcpy: valid, non-overlapping regions of `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    for i in 0..n {
        // SAFETY: the caller guarantees both regions hold n bytes.
        unsafe { dest.add(i).write_volatile(src.add(i).read_volatile()) };
    }
    dest
}

/// # Safety
/// As C's memmove: valid regions of `n` bytes, which may overlap.
#[no_mangle]
pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dest as usize) <= (src as usize) {
        // Forwards is safe when the destination starts first.
        for i in 0..n {
            // SAFETY: as above.
            unsafe { dest.add(i).write_volatile(src.add(i).read_volatile()) };
        }
    } else {
        for i in (0..n).rev() {
            // SAFETY: as above.
            unsafe { dest.add(i).write_volatile(src.add(i).read_volatile()) };
        }
    }
    dest
}

/// # Safety
/// As C's memset: a valid region of `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memset(dest: *mut u8, c: i32, n: usize) -> *mut u8 {
    for i in 0..n {
        // SAFETY: the caller guarantees the region holds n bytes.
        unsafe { dest.add(i).write_volatile(c as u8) };
    }
    dest
}

/// # Safety
/// As C's memcmp: valid regions of `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // SAFETY: the caller guarantees both regions hold n bytes.
        let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}

/// # Safety
/// As memcmp; only equality matters.
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract as memcmp.
    unsafe { memcmp(a, b, n) }
}

/// # Safety
/// As C's strlen: `s` points to a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn strlen(s: *const c_char) -> usize {
    let mut n = 0;
    // SAFETY: the caller guarantees a NUL terminator within the string.
    while unsafe { s.add(n).read_volatile() } != 0 {
        n += 1;
    }
    n
}
