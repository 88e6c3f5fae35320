//! A seccomp filter that answers one system call with ENOSYS, as a kernel
//! without it would, and as container runtimes' default profiles answer
//! clone3. The tests of `ns-tool clone`'s fallback to clone(2) install it
//! in the process that then execs ns-tool: on the host (tests/clone_test.rs,
//! in `pre_exec`) and in the guest (`/init --enosys NR -- PROGRAM...`, in
//! qemu/vm-init, which includes this file).

/// The architecture seccomp reports for this build (AUDIT_ARCH_*).
#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xc000_003e;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xc000_00b7;

/// Make system call `nr` fail with ENOSYS in this process and everything
/// it runs from now on: see [`refuse`].
pub fn refuse_with_enosys(nr: u32) -> std::io::Result<()> {
    refuse(nr, libc::ENOSYS as u32)
}

/// Make system call `nr` fail with `errno` in this process and everything
/// it runs from now on; every other call, and calls of another
/// architecture, go through. Sets no_new_privs first, as an unprivileged
/// process must (and it keeps a filter from being dropped by a setuid
/// exec). Only calls async-signal-safe functions: fit for `pre_exec`.
pub fn refuse(nr: u32, errno: u32) -> std::io::Result<()> {
    // seccomp_data: nr at offset 0, arch at 4.
    let stmt = |code: u32, k: u32| libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    let jeq = |k: u32, jt: u8, jf: u8| libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt,
        jf,
        k,
    };
    let load = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
    let ret = libc::BPF_RET | libc::BPF_K;
    let filter = [
        stmt(load, 4),
        jeq(AUDIT_ARCH, 0, 2),
        stmt(load, 0),
        jeq(nr, 1, 0),
        stmt(ret, libc::SECCOMP_RET_ALLOW),
        stmt(ret, libc::SECCOMP_RET_ERRNO | errno),
    ];
    let prog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: plain prctl; `prog` and `filter` outlive the call, which
    // copies them.
    let ok = unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
            && libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                0,
                &prog as *const libc::sock_fprog,
            ) == 0
    };
    if ok {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
