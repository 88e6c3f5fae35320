//! The shipped binary is static and calls the kernel itself: no dynamic
//! loader, no libc syscall wrappers.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;

/// The program header types of a 64-bit little-endian ELF file.
fn program_header_types(path: &Path) -> Vec<u32> {
    let elf = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&elf[..4], b"\x7fELF", "{}: not ELF", path.display());
    assert_eq!(elf[4], 2, "64-bit ELF");
    assert_eq!(elf[5], 1, "little-endian ELF");
    let u16_at = |o: usize| u16::from_le_bytes([elf[o], elf[o + 1]]) as usize;
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize;
    let (phentsize, phnum) = (u16_at(0x36), u16_at(0x38));
    (0..phnum)
        .map(|i| {
            let o = phoff + i * phentsize;
            u32::from_le_bytes(elf[o..o + 4].try_into().unwrap())
        })
        .collect()
}

fn assert_static(path: &Path) {
    let types = program_header_types(path);
    assert!(!types.is_empty(), "{}: no program headers", path.display());
    assert!(
        !types.contains(&PT_INTERP),
        "{}: asks for a dynamic loader",
        path.display()
    );
    assert!(
        !types.contains(&PT_DYNAMIC),
        "{}: has a dynamic section",
        path.display()
    );
    let file = Command::new("file")
        .arg("-b")
        .arg(path)
        .output()
        .expect("run file(1)");
    let said = String::from_utf8_lossy(&file.stdout);
    assert!(
        said.contains("statically linked") || said.contains("static-pie"),
        "{}: file(1) says {said}",
        path.display()
    );
}

/// libc functions that wrap the system calls ns-tool makes. If any is in
/// the symbol table, a libc crept in.
const LIBC_WRAPPERS: &[&str] = &[
    "fork",
    "vfork",
    "clone",
    "unshare",
    "wait",
    "wait4",
    "waitpid",
    "getpid",
    "getppid",
    "read",
    "write",
    "open",
    "openat",
    "close",
    "pipe",
    "pipe2",
    "readlink",
    "readlinkat",
    "_exit",
    "exit",
    "syscall",
    "__libc_start_main",
];

#[test]
fn test_binary_is_static() {
    assert_static(&common::bin());
}

#[test]
fn no_libc_syscall_wrapper_is_linked() {
    // The binary cargo built for the tests is unstripped, so nm sees every
    // function in it.
    let out = Command::new("nm")
        .arg(common::bin())
        .output()
        .expect("run nm(1)");
    assert!(out.status.success(), "nm failed: {out:?}");
    let symbols = String::from_utf8_lossy(&out.stdout);
    let names: Vec<&str> = symbols
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .collect();
    // Not vacuous: the symbol table is there and has our own code.
    assert!(names.contains(&"_start"), "no _start: stripped binary?");
    assert!(
        names
            .iter()
            .any(|n| n.contains("ns_tool3sys") && n.contains("7unshare")),
        "raw layer missing"
    );
    let found: Vec<&&str> = LIBC_WRAPPERS.iter().filter(|w| names.contains(w)).collect();
    assert!(found.is_empty(), "libc syscall wrappers linked: {found:?}");
}

/// The release binaries `cargo make build-static` made, listed in
/// `NS_TOOL_STATIC_BINS` (colon-separated). Plain `cargo test` builds no
/// release binaries, so this test is opt-in; `cargo make test` runs it.
#[test]
#[ignore = "needs cargo make build-static's output: cargo make test-host runs it"]
fn release_binaries_are_static() {
    let list = std::env::var_os("NS_TOOL_STATIC_BINS")
        .expect("NS_TOOL_STATIC_BINS lists the release binaries (cargo make test-host sets it)");
    let bins: Vec<PathBuf> = std::env::split_paths(&list).collect();
    assert!(!bins.is_empty());
    for bin in bins {
        assert_static(&bin);
    }
}
