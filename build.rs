//! Two jobs. Pack the texts of `t!("...")` (build/pack.rs). And link
//! arguments for the `ns-tool` binary only (`rustc-link-arg-bins`), so
//! the library's unit tests and the integration tests, which use std, link as
//! usual.
//!
//! The binary defines its own `_start` and calls no libc function, so the C
//! start files must stay out and the result must be a static executable with
//! no dynamic loader, whatever the target's default is.

use std::env;

#[path = "build/pack.rs"]
mod pack;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/pack.rs");
    let out = std::path::PathBuf::from(env::var("OUT_DIR").unwrap());
    let src = std::path::PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("src");
    pack::generate(&src, &out.join("packed.rs"));
    let target = env::var("TARGET").unwrap_or_default();
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os != "linux" {
        panic!("ns-tool only targets Linux (target {target})");
    }
    let env_ = env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let dir = env::var("CARGO_MANIFEST_DIR").unwrap();
    let script = format!("{dir}/link/no-unwind-tables.ld");
    println!("cargo:rerun-if-changed={script}");

    // aarch64 musl links with rust-lld directly (.cargo/config.toml): an ld
    // flavour that has no start files to drop and gets `-static` from rustc,
    // because relocation-model=static + crt-static means "static, non-PIE".
    if arch == "aarch64" && env_ == "musl" {
        // Size, for the shipped binaries: drop the unwind tables ns-tool
        // never uses, and RELRO, whose page padding a static binary with no
        // relocations does not need.
        println!("cargo:rustc-link-arg-bins=--script={script}");
        println!("cargo:rustc-link-arg-bins=-znorelro");
        return;
    }
    // Every other Linux target links through the C compiler driver.
    println!("cargo:rustc-link-arg-bins=-nostartfiles");
    if env_ == "musl" {
        // Size, as above.
        println!("cargo:rustc-link-arg-bins=-Wl,--script={script}");
        println!("cargo:rustc-link-arg-bins=-Wl,-z,norelro");
    }
    if env_ != "musl" {
        // glibc targets default to a dynamic PIE. The code is position
        // independent, which a non-PIE static link accepts as is; a later
        // `-no-pie` cancels rustc's `-pie` in the gcc driver.
        println!("cargo:rustc-link-arg-bins=-static");
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
