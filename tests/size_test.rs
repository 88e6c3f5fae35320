//! The size budget (Cargo.toml, `[package.metadata.size-budget]`) and what
//! keeps the binary small: no core::fmt machinery linked. Both need the
//! release builds `cargo make build-static` makes, so they are opt-in;
//! `cargo make test-host` runs them.

use std::path::PathBuf;
use std::process::Command;

/// The budget for `arch`, from the one place it is written.
fn budget(arch: &str) -> u64 {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .expect("Cargo.toml");
    let section = manifest
        .split("[package.metadata.size-budget]")
        .nth(1)
        .expect("a [package.metadata.size-budget] section in Cargo.toml");
    section
        .lines()
        .find_map(|l| {
            l.strip_prefix(arch)?
                .trim()
                .strip_prefix('=')?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no {arch} = N in the size budget"))
}

#[test]
#[ignore = "needs cargo make build-static's output: cargo make test-host runs it"]
fn release_binaries_are_within_the_budget() {
    let list = std::env::var_os("NS_TOOL_STATIC_BINS")
        .expect("NS_TOOL_STATIC_BINS lists the release binaries (cargo make test-host sets it)");
    let bins: Vec<PathBuf> = std::env::split_paths(&list).collect();
    assert_eq!(bins.len(), 2, "x86_64 and aarch64: {bins:?}");
    for bin in bins {
        let arch = if bin.to_string_lossy().contains("aarch64") {
            "aarch64"
        } else {
            "x86_64"
        };
        let size = std::fs::metadata(&bin).expect("the release binary").len();
        let limit = budget(arch);
        println!("{arch}: {size} B of a {limit} B budget");
        assert!(
            size <= limit,
            "{}: {size} B is over the {arch} budget of {limit} B (Cargo.toml, \
             [package.metadata.size-budget]): find what grew (cargo make bench reports the \
             size) or, if it is worth it, raise the budget by what it measurably costs",
            bin.display()
        );
    }
}

#[test]
#[ignore = "needs cargo make build-static's unstripped build: cargo make test-host runs it"]
fn no_core_fmt_is_linked() {
    let bin = std::env::var_os("NS_TOOL_UNSTRIPPED_BIN")
        .expect("NS_TOOL_UNSTRIPPED_BIN names an unstripped release build");
    let out = Command::new("nm")
        .arg("-C")
        .arg(&bin)
        .output()
        .expect("run nm(1)");
    assert!(out.status.success(), "nm failed: {out:?}");
    let symbols = String::from_utf8_lossy(&out.stdout);
    // Not vacuous: the symbol table is there and has our own code.
    assert!(symbols.contains(" ns_tool::"), "stripped build?");
    let fmt: Vec<&str> = symbols
        .lines()
        .filter(|l| l.contains("core::fmt::"))
        .collect();
    assert!(
        fmt.is_empty(),
        "core::fmt is linked (about 4 KB with its callers); write with text::Buf instead:\n{}",
        fmt.join("\n")
    );
}
