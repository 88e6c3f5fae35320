//! A copy of ns-tool made setuid root, setgid or given file capabilities
//! refuses to run for an ordinary user, before it does anything: one line,
//! exit status 3, and no system call but that write and exit_group (so no
//! namespace and no fork). An ordinary copy still runs for that user, and
//! root may still run the setuid copy. docs/security.md says why.
//!
//! Needs root (to chown, chmod u+s and setcap), `setcap` (libcap2-bin) and
//! `strace`; without them the tests fail with one line saying what is
//! missing, they never skip.

mod common;

use std::ffi::CString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{bin, output_of_fresh_copy, text};

/// The refusal, exactly (src/lib.rs `SECURE_REFUSAL`, docs/exit-codes.md).
const REFUSAL: &str = "ns-tool: refusing to run setuid, setgid or with file capabilities \
                       (AT_SECURE): it would run anyone's COMMAND with those privileges; use \
                       sudo, or run it as yourself with --user\n";

/// Its exit status (`error::EXIT_SECURE`).
const EXIT_SECURE: i32 = 3;

/// uid and gid of nobody, the ordinary user here.
const NOBODY: u32 = 65534;

/// Command lines that would create namespaces (and, with `--trace`, print
/// before the first call), and one that would only print help.
const ARGS: &[&[&str]] = &[&["pid", "--", "id"], &["--trace", "pid"], &["--help"]];

/// The ways an admin might hand out ns-tool's privileges.
#[derive(Debug, Clone, Copy)]
enum Privilege {
    /// `chown root; chmod 4755`
    SetuidRoot,
    /// `chgrp root; chmod 2755`
    SetgidRoot,
    /// `setcap cap_sys_admin+ep`
    FileCapability,
    /// A plain copy, mode 0755: the control.
    None,
}

/// A copy of the binary under test in a directory of its own, removed
/// when dropped.
struct Copy {
    path: PathBuf,
}

impl Drop for Copy {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(self.path.parent().unwrap());
    }
}

fn require_root() {
    // SAFETY: geteuid takes no arguments and cannot fail.
    let euid = unsafe { syscalls::syscall0(syscalls::Sysno::geteuid) }.unwrap();
    assert_eq!(
        euid, 0,
        "security_test must run as root: it makes setuid-root and setcap copies of ns-tool"
    );
}

/// Whether the file system mount holding `path` ignores setuid, setgid
/// and file capabilities (mounted `nosuid`; `ST_NOSUID` in statfs).
fn nosuid(path: &Path) -> bool {
    let c = CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: the kernel's struct statfs is plain integers.
    let mut st: linux_raw_sys::general::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated path and a struct statfs to fill.
    unsafe {
        syscalls::syscall2(
            syscalls::Sysno::statfs,
            c.as_ptr() as usize,
            &mut st as *mut _ as usize,
        )
    }
    .unwrap_or_else(|e| panic!("statfs({}): {e}", path.display()));
    st.f_flags as u64 & u64::from(linux_raw_sys::general::MS_NOSUID) != 0
}

/// A fresh directory, mode 0755, on a mount that honours setuid bits:
/// under TMPDIR (else /tmp), or /var/tmp when that is mounted nosuid.
fn fresh_dir(tag: &str) -> PathBuf {
    let candidates = [std::env::temp_dir(), PathBuf::from("/var/tmp")];
    let base = candidates
        .iter()
        .find(|d| d.is_dir() && !nosuid(d))
        .unwrap_or_else(|| {
            panic!(
                "{} and /var/tmp are both mounted nosuid, where setuid bits and file \
                 capabilities are ignored: set TMPDIR to a directory on a mount without nosuid",
                candidates[0].display()
            )
        });
    let dir = base.join(format!("ns-tool-security-{}-{tag}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// `setcap` from libcap2-bin, which an ordinary PATH may lack (sbin).
fn setcap() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|d| d.join("setcap"))
        .find(|p| p.is_file())
        .expect("setcap not found (in PATH, /usr/sbin, /sbin): install libcap2-bin (cargo make provision does)")
}

/// A copy of ns-tool owned by root with `privilege`.
fn copy(privilege: Privilege) -> Copy {
    require_root();
    let dir = fresh_dir(&format!("{privilege:?}"));
    let path = dir.join("ns-tool");
    fs::copy(bin(), &path).unwrap();
    // chown clears the set-ID bits, so it comes first.
    std::os::unix::fs::chown(&path, Some(0), Some(0)).unwrap();
    let mode = match privilege {
        Privilege::SetuidRoot => 0o4755,
        Privilege::SetgidRoot => 0o2755,
        Privilege::FileCapability | Privilege::None => 0o755,
    };
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    if let Privilege::FileCapability = privilege {
        let out = Command::new(setcap())
            .args(["cap_sys_admin+ep".as_ref(), path.as_os_str()])
            .output()
            .expect("run setcap");
        assert!(
            out.status.success(),
            "setcap cap_sys_admin+ep {}: {:?} {}",
            path.display(),
            out.status,
            text(&out.stderr)
        );
    }
    let meta = fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o7777, mode, "{privilege:?}");
    Copy { path }
}

/// Run `copy ARGS` as uid/gid 65534, no supplementary groups.
fn as_nobody(copy: &Copy, args: &[&str]) -> Output {
    output_of_fresh_copy(Command::new(&copy.path).args(args).uid(NOBODY).gid(NOBODY))
}

/// The system calls `copy ARGS` makes, by name, from its execve on, as
/// strace -f sees them when it starts the copy as nobody (`strace -u`:
/// strace stays root, so the kernel grants the set-ID bits and file
/// capabilities as it would untraced); and its exit status.
fn straced_as_nobody(copy: &Copy, args: &[&str]) -> (Vec<String>, Option<i32>, String) {
    let log = copy.path.with_file_name("strace.log");
    let out = output_of_fresh_copy(
        Command::new("strace")
            .args(["-f", "-qq", "-u", "nobody", "-o"])
            .arg(&log)
            .arg("--")
            .arg(&copy.path)
            .args(args),
    );
    let log = fs::read_to_string(&log).unwrap_or_else(|e| {
        panic!(
            "strace wrote no log ({e}): is strace installed? {}",
            text(&out.stderr)
        )
    });
    let names = log
        .lines()
        .filter_map(|l| {
            // `PID name(args) = result` (strace pads short PIDs with
            // spaces); `<... name resumed>` continues a call.
            let call = l.split_once(' ')?.1.trim_start();
            let name = call.split('(').next()?;
            (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
                .then(|| name.to_string())
        })
        .skip_while(|n| n != "execve")
        .collect();
    (names, out.status.code(), log)
}

/// The whole contract of a refusal, for every command line: the one line,
/// exit status 3, nothing on stdout; and, under strace, the copy makes no
/// system call but that write and exit_group: no unshare, no fork or
/// clone, no mount, so no namespace and no process.
fn refuses(privilege: Privilege) {
    let copy = copy(privilege);
    for args in ARGS {
        let out = as_nobody(&copy, args);
        assert_eq!(
            (
                out.status.code(),
                text(&out.stderr).as_str(),
                text(&out.stdout).as_str()
            ),
            (Some(EXIT_SECURE), REFUSAL, ""),
            "{privilege:?} copy, `ns-tool {}` as nobody: (status, stderr, stdout)",
            args.join(" ")
        );
    }
    let (calls, status, log) = straced_as_nobody(&copy, ARGS[0]);
    assert_eq!(
        (calls, status),
        (
            ["execve", "write", "exit_group"].map(String::from).to_vec(),
            Some(EXIT_SECURE)
        ),
        "{privilege:?} copy under strace: its only calls, and status\n{log}"
    );
    assert!(
        log.contains("write(2, \"ns-tool: refusing to run setuid"),
        "the write is the refusal, to stderr:\n{log}"
    );
}

#[test]
fn setuid_root_copy_refuses() {
    refuses(Privilege::SetuidRoot);
}

#[test]
fn setgid_copy_refuses() {
    refuses(Privilege::SetgidRoot);
}

#[test]
fn file_capability_copy_refuses() {
    refuses(Privilege::FileCapability);
}

/// The check is the kernel's AT_SECURE, not the mode bits: root running a
/// setuid-root copy gains nothing, so the kernel does not mark it, and it
/// runs.
#[test]
fn root_may_run_the_setuid_copy() {
    let copy = copy(Privilege::SetuidRoot);
    let out = output_of_fresh_copy(Command::new(&copy.path).args(["pid", "--", "true"]));
    assert_eq!(
        (out.status.code(), text(&out.stderr).as_str()),
        (Some(0), ""),
        "root: `pid -- true` on the setuid copy"
    );
}

/// An ordinary copy still runs for nobody (`--user` needs no privilege),
/// and strace, as used above, does see the namespace and the fork: the
/// refusal tests would notice them.
#[test]
fn plain_copy_runs_as_nobody() {
    let copy = copy(Privilege::None);
    let out = as_nobody(&copy, &["pid", "--user", "--", "true"]);
    assert_eq!(
        (out.status.code(), text(&out.stderr).as_str()),
        (Some(0), ""),
        "nobody: `pid --user -- true` on a plain copy"
    );
    let (calls, status, log) = straced_as_nobody(&copy, &["pid", "--user", "--", "true"]);
    assert_eq!(status, Some(0), "{log}");
    assert!(calls.iter().any(|c| c == "unshare"), "unshare seen:\n{log}");
    assert!(
        calls.iter().any(|c| c == "fork" || c == "clone"),
        "a fork seen:\n{log}"
    );
}
