//! Which kernel a guest boots.
//!
//! In order:
//! 1. `NS_TOOL_VM_KERNEL_X86_64` / `NS_TOOL_VM_KERNEL_AARCH64`: any kernel
//!    image file (x86_64: bzImage or an ELF vmlinux with a PVH entry;
//!    aarch64: an uncompressed arm64 `Image`).
//! 2. The Debian cloud kernel that `qemu/fetch-kernel.sh` (the cargo-make
//!    task `fetch-kernels`) left in the cache, `qemu/.cache/kernel/<arch>/`
//!    (`NS_TOOL_VM_CACHE` moves the cache): `vmlinux` when there is one
//!    (x86_64: the uncompressed kernel, faster to boot), else `vmlinuz`.
//!
//! Nothing is downloaded from here: tests must not reach for the network
//! behind the user's back. A missing kernel is one line on how to get one.

use crate::Arch;
use std::path::{Path, PathBuf};

/// The environment variable that names an explicit kernel for `arch`.
pub fn env_var(arch: Arch) -> String {
    format!("NS_TOOL_VM_KERNEL_{}", arch.env_suffix())
}

/// The folder fetch-kernel.sh fills.
pub fn cache_dir(repo: &Path) -> PathBuf {
    std::env::var_os("NS_TOOL_VM_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("qemu/.cache"))
        .join("kernel")
}

/// The kernel image to boot for `arch`.
pub fn locate(arch: Arch, repo: &Path) -> Result<PathBuf, String> {
    locate_with(arch, std::env::var_os(env_var(arch)), &cache_dir(repo))
}

fn locate_with(
    arch: Arch,
    explicit: Option<std::ffi::OsString>,
    cache: &Path,
) -> Result<PathBuf, String> {
    if let Some(path) = explicit.filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "{}={} is not a file",
                env_var(arch),
                path.display()
            ))
        };
    }
    let dir = cache.join(arch.name());
    ["vmlinux", "vmlinuz"]
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "no {arch} kernel in {}: run `cargo make fetch-kernels` (Debian's apt-get and dpkg-deb), or set {} to a kernel image",
                dir.display(),
                env_var(arch),
                arch = arch.name()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_kernel_wins_and_must_exist() {
        let dir = std::env::temp_dir().join(format!("ns-tool-vm-kernel-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("x86_64")).unwrap();
        let k = dir.join("bzImage");
        std::fs::write(&k, b"k").unwrap();
        assert_eq!(
            locate_with(Arch::X86_64, Some(k.clone().into()), &dir).unwrap(),
            k
        );
        let e = locate_with(Arch::Aarch64, Some("/no/such".into()), &dir).unwrap_err();
        assert_eq!(e, "NS_TOOL_VM_KERNEL_AARCH64=/no/such is not a file");

        // The cache: vmlinux before vmlinuz.
        std::fs::write(dir.join("x86_64/vmlinuz"), b"z").unwrap();
        assert!(locate_with(Arch::X86_64, None, &dir)
            .unwrap()
            .ends_with("x86_64/vmlinuz"));
        std::fs::write(dir.join("x86_64/vmlinux"), b"x").unwrap();
        assert!(locate_with(Arch::X86_64, None, &dir)
            .unwrap()
            .ends_with("x86_64/vmlinux"));

        let e = locate_with(Arch::Aarch64, None, &dir).unwrap_err();
        assert!(e.starts_with("no aarch64 kernel in "), "{e}");
        assert!(e.contains("cargo make fetch-kernels"), "{e}");
        assert!(!e.contains('\n'));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
