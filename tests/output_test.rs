//! Golden output: what ns-tool prints, byte for byte, for a corpus of
//! command lines (every kind of output it has), compared with reference
//! files recorded from the binary, so that a rewrite of the output or trace
//! code cannot change a word, a space or an exit status unnoticed.
//!
//! The references live in `tests/golden/<arch>/<case>.txt`, one file per
//! case, chosen by the architecture the test is built for
//! (`std::env::consts::ARCH`, i.e. `cfg!(target_arch)`): trace lines show
//! syscall numbers, and x86_64 forks where aarch64 clones. An architecture
//! without references fails, saying how to record them; it is never
//! skipped. When output changes on purpose:
//!
//! ```text
//! NS_TOOL_BLESS=1 cargo test --test output_test   # rewrite the references
//! git diff tests/golden                           # review the change
//! ```
//!
//! Without NS_TOOL_BLESS, a case whose output differs fails with its
//! command line, the first differing line (a caret under the first
//! differing character) and a diff, expected (-) against actual (+).
//! `NS_TOOL_BIN` picks the binary, as in the other tests (e.g. the static
//! release build, whose output must be the same).
//!
//! # How each case runs
//!
//! Environment cleared, then only `PATH=/usr/local/bin:/usr/bin:/bin` and
//! `LC_ALL=C`; working directory `/`; stdin `/dev/null` (so no terminal);
//! stdout and stderr two separate pipes; every signal's disposition the
//! default and none blocked (both survive exec, and the trace shows them). As root, except the cases marked
//! `uid 65534`, which run a world-executable copy of the binary as uid and
//! gid 65534 with no supplementary groups. The test refuses to run unless
//! it is root, since the references were recorded as root. Commands found
//! through PATH (sh, true) are the machine's own: the trace shows the
//! execve of each PATH entry tried.
//!
//! # Normalisation
//!
//! Only what legitimately varies between runs and machines is masked;
//! everything else (wording, spacing, syscall numbers such as `(x86_64
//! #272)`, descriptors, flags, signal sets, errno names and texts, exit
//! statuses, PIDs inside the new namespaces, which are always 1, 2, ...)
//! must match exactly.
//!
//! * `{PIDn}`: a PID in the namespace ns-tool starts in ("host" PIDs).
//!   Numbered per case by first appearance (trace sections in the order
//!   below, then stdout, then the other stderr lines), so the reference
//!   still says which PIDs are the same process: the child `fork()`
//!   returned is the one ns-tool waits for and reports. Masked in
//!   - output lines: `spawned child with PID N`, `Parent: child N ...`,
//!     the first field of `NSpid:` when more fields follow;
//!   - trace labels: `host N` in `[host N]`, `[child of host N]`,
//!     `[ns 1 | host N]`, `[child of ns 1 | host N]`;
//!   - trace lines of host processes (labels `[host ..]`, `[child of host
//!     ..]`), only where a PID stands: the results of getpid, fork, clone,
//!     wait4 and getpgid; the PID arguments of wait4, kill, setpgid,
//!     getpgid and rt_sigqueueinfo (a `-` sign is kept); `TIOCGPGRP, [N]`
//!     and `TIOCSPGRP, [N]`; `si_pid=N`, `si_int=N`; `/proc/N/` in paths;
//!     and the go-pipe write (4 bytes to the write end of the process's
//!     pipe2, the child's PID in native byte order), shown as
//!     `"{PIDn as 4 bytes}"`.
//!
//!   0, 1 and -1 are never masked: there they mean self, none, any, or
//!   init, not one of ns-tool's processes.
//! * `{NSn}`: a namespace inode number, `pid:[N]`; numbered like PIDs, so
//!   "the namespace for children is the child's namespace" still shows.
//! * `{TMP}`: the directory this test creates for its scripts.
//! * `{LEN}`: a byte count of data that contains one of the above (their
//!   width varies): the count and result of such a write(2), the result of
//!   such a readlinkat(2). A write's text longer than 32 bytes is shown cut
//!   at 32 bytes, and where the PIDs' width moves the cut, the reference
//!   holds instead the whole masked line (taken from the captured output,
//!   after checking that its first 32 bytes and its length are what the
//!   trace showed) followed by `[..32]`.
//! * `{LEN}` and `{ROOM}` for reads of a file under /proc (a descriptor
//!   openat returned for a /proc path, until it is closed): the result
//!   (unless 0 or an error) and the buffer size of every read after the
//!   first (what is left of the buffer). The size of /proc/self/status
//!   depends on the kernel, the user and the PIDs.
//! * Invalid UTF-8 in the output would show as `⟦xx⟧` (ns-tool escapes
//!   everything it prints, so none is expected).
//!
//! # Trace lines from several processes
//!
//! With --trace, the processes of a run write trace lines to the same
//! stderr, and how their lines interleave is up to the scheduler. stderr
//! is therefore compared per process: each line that starts with a trace
//! label goes to the section of its label (unmasked, so two processes
//! never share a section, and a process that learns its name, `[child of
//! host N]` becoming `[ns 1 | host M]`, gets a second section), keeping its
//! own order; sections follow the fork chain (host, child of host, ns 1,
//! child of ns 1, ns2, ...). Lines without a label (ns-tool's messages,
//! COMMAND's output) keep their order in a section of their own. stdout
//! is compared whole: ns-tool itself orders it (the go-pipe holds each
//! child until its parent has printed). Each line is written with a
//! single write(2), so lines never mix mid-line.

mod common;

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::fs;
use std::io::ErrorKind;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

/// The environment every case runs in.
const PATH: &str = "/usr/local/bin:/usr/bin:/bin";
/// The unprivileged user of the `uid 65534` cases.
const NOBODY: u32 = 65534;
/// How long one case may take before the watchdog kills ns-tool.
const CASE_SECONDS: u64 = 30;
/// How many diff lines one failing case shows.
const DIFF_LINES_MAX: usize = 60;
/// How much of a write's text a trace line shows.
const TRACE_TEXT_MAX: usize = 32;

/// One command line of the corpus.
struct Case {
    /// The reference file's name, without `.txt`.
    name: &'static str,
    args: Vec<OsString>,
    /// Run as uid/gid 65534 instead of root.
    nobody: bool,
}

fn case(name: &'static str, args: &[&str]) -> Case {
    Case {
        name,
        args: args.iter().map(OsString::from).collect(),
        nobody: false,
    }
}

fn as_nobody(mut c: Case) -> Case {
    c.nobody = true;
    c
}

/// The corpus: every kind of output ns-tool has. `tmp` holds the scripts
/// of the exec cases (see [`make_scripts`]).
fn corpus(tmp: &Path) -> Vec<Case> {
    let path = |name: &str| tmp.join(name).into_os_string();
    let exec = |name: &'static str, file: &str, extra: &[&str]| {
        let mut args = vec![OsString::from("pid"), OsString::from("--"), path(file)];
        args.extend(extra.iter().map(OsString::from));
        Case {
            name,
            args,
            nobody: false,
        }
    };
    let bytes = |name: &'static str, args: &[&[u8]]| Case {
        name,
        args: args
            .iter()
            .map(|a| OsStr::from_bytes(a).to_os_string())
            .collect(),
        nobody: false,
    };
    vec![
        // The demonstration.
        case("pid", &["pid"]),
        case("pid-nest-3", &["pid", "--nest", "3"]),
        case("pid-mount-proc", &["pid", "--mount-proc"]),
        as_nobody(case("pid-as-nobody", &["pid"])),
        // Help and version.
        case("help-long", &["--help"]),
        case("help-short", &["-h"]),
        case("help-command", &["help"]),
        case("help-pid", &["help", "pid"]),
        case("help-syscalls", &["help", "syscalls"]),
        case("pid-help", &["pid", "--help"]),
        case("syscalls-help", &["syscalls", "--help"]),
        case("help-proc", &["help", "proc"]),
        case("proc-help", &["proc", "--help"]),
        case("help-check-caps", &["help", "check-caps"]),
        case("check-caps-help", &["check-caps", "--help"]),
        case("version-long", &["--version"]),
        case("version-short", &["-V"]),
        // The syscall tables.
        case("syscalls", &["syscalls"]),
        case("syscalls-arch-x86_64", &["syscalls", "--arch", "x86_64"]),
        case("syscalls-arch-aarch64", &["syscalls", "--arch", "aarch64"]),
        case("syscalls-arch-all", &["syscalls", "--arch", "all"]),
        case("syscalls-arch-arm64", &["syscalls", "--arch", "arm64"]),
        // Every usage error (src/cli/usage.rs, `Usage`).
        case("usage-no-command", &[]),
        case("usage-only-trace", &["--trace"]),
        case("usage-unknown-command", &["bogus"]),
        bytes("usage-unknown-command-not-utf8", &[b"n\xffet"]),
        bytes("usage-unknown-command-control", &[b"a\x1b[31mred\x01"]),
        case("usage-unknown-option", &["--frobnicate"]),
        case("usage-pid-unknown-option", &["pid", "--frobnicate"]),
        case(
            "usage-check-caps-unknown-option",
            &["check-caps", "--frobnicate"],
        ),
        case(
            "usage-syscalls-unknown-option",
            &["syscalls", "--frobnicate"],
        ),
        case("usage-nest-missing", &["pid", "--nest"]),
        case("usage-nest-0", &["pid", "--nest", "0"]),
        case("usage-nest-33", &["pid", "--nest", "33"]),
        case("usage-nest-minus-1", &["pid", "--nest", "-1"]),
        case("usage-nest-9999", &["pid", "--nest", "9999"]),
        case("usage-nest-x", &["pid", "--nest", "x"]),
        case("usage-nest-empty", &["pid", "--nest="]),
        case("usage-init-without-command", &["pid", "--init"]),
        case("usage-empty-command", &["pid", "--"]),
        case("usage-bad-arch", &["syscalls", "--arch", "mips"]),
        case("usage-arch-missing", &["syscalls", "--arch"]),
        case("usage-syscalls-stray-word", &["syscalls", "extra"]),
        case("usage-proc-pid-0", &["proc", "--pid", "0"]),
        case("usage-proc-pid-x", &["proc", "--pid=x"]),
        case("usage-proc-pid-too-big", &["proc", "--pid", "99999999"]),
        case("usage-proc-compare-minus-1", &["proc", "--compare", "-1"]),
        case("usage-proc-pid-missing", &["proc", "--pid"]),
        case("usage-proc-stray-word", &["proc", "1"]),
        case("usage-proc-unknown-option", &["proc", "--frobnicate"]),
        // COMMAND: its status, and every way exec fails.
        case("command-exit-7", &["pid", "--", "sh", "-c", "exit 7"]),
        case(
            "command-init-killed-by-signal",
            &["pid", "--init", "--", "sh", "-c", "kill -TERM $$"],
        ),
        case("exec-not-found", &["pid", "--", "no-such-command-ns-tool"]),
        exec("exec-not-executable", "not-executable", &[]),
        exec("exec-directory", "a-directory", &[]),
        exec("exec-missing-interpreter", "missing-interpreter.sh", &[]),
        exec("exec-script-without-shebang", "no-shebang.sh", &["arg1"]),
        // --trace.
        case("trace-pid", &["--trace", "pid"]),
        case("trace-pid-command", &["--trace", "pid", "--", "true"]),
        case(
            "trace-pid-init",
            &["--trace", "pid", "--init", "--", "true"],
        ),
        case(
            "trace-pid-mount-proc",
            &["--trace", "pid", "--mount-proc", "--", "true"],
        ),
        case("trace-pid-nest-2", &["--trace", "pid", "--nest", "2"]),
        case(
            "trace-pid-exec-fails",
            &["--trace", "pid", "--", "/nonexistent"],
        ),
        as_nobody(case(
            "trace-pid-user-as-nobody",
            &["--trace", "pid", "--user", "--", "true"],
        )),
    ]
}

/// The files the exec cases run, in a fresh directory.
fn make_scripts() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ns-tool-golden-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("a-directory")).unwrap();
    let file = |name: &str, text: &str, mode: u32| {
        let path = dir.join(name);
        fs::write(&path, text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    };
    file("not-executable", "echo unreachable\n", 0o644);
    file(
        "missing-interpreter.sh",
        "#!/nonexistent/interpreter\necho unreachable\n",
        0o755,
    );
    file(
        "no-shebang.sh",
        "echo \"no #! line, run by /bin/sh: \\$0=$0 \\$1=$1\"\nexit 3\n",
        0o755,
    );
    dir
}

#[test]
fn output_matches_the_references() {
    let started = Instant::now();
    let uid = fs::metadata("/proc/self").expect("/proc/self").uid();
    assert_eq!(
        uid, 0,
        "output_test must run as root: the references were recorded as root \
         (the uid 65534 cases switch user themselves)"
    );
    let dir = golden_dir();
    let bless = std::env::var_os("NS_TOOL_BLESS").is_some_and(|v| !v.is_empty() && v != "0");
    if !bless && !dir.is_dir() {
        panic!(
            "no reference outputs for {arch} ({dir} does not exist): record them on an {arch} \
             host with `NS_TOOL_BLESS=1 cargo test --test output_test`, check them (they are \
             what this test will hold ns-tool to), and commit them",
            arch = std::env::consts::ARCH,
            dir = dir.display(),
        );
    }
    let tmp = make_scripts();
    let bin = fs::canonicalize(common::bin()).expect("the ns-tool binary");
    let copy = common::world_executable_copy("golden");
    let cases = corpus(&tmp);
    let mut failures = String::new();
    let mut failed = 0;
    let mut blessed = 0;
    for c in &cases {
        let program = if c.nobody { &copy } else { &bin };
        let actual = render(c, &run_case(program, c), &tmp);
        let file = dir.join(format!("{}.txt", c.name));
        if bless {
            fs::create_dir_all(&dir).unwrap();
            if fs::read_to_string(&file).ok().as_deref() != Some(&actual) {
                fs::write(&file, &actual).unwrap();
                blessed += 1;
            }
            continue;
        }
        match fs::read_to_string(&file) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => {
                failed += 1;
                report(&mut failures, c, &file, &tmp, &expected, &actual);
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                failed += 1;
                let _ = writeln!(
                    failures,
                    "\n=== {}: ns-tool {}\nno reference {}: record it with NS_TOOL_BLESS=1 \
                     cargo test --test output_test\n",
                    c.name,
                    command_line(c, &tmp),
                    file.display()
                );
            }
            Err(e) => panic!("{}: {e}", file.display()),
        }
    }
    let _ = fs::remove_dir_all(&tmp);
    let _ = fs::remove_dir_all(copy.parent().unwrap());
    // References without a case: left over from a renamed or dropped case.
    let mut stale = Vec::new();
    for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let known = name
            .strip_suffix(".txt")
            .is_some_and(|n| cases.iter().any(|c| c.name == n));
        if !known {
            if bless {
                fs::remove_file(entry.path()).unwrap();
            } else {
                stale.push(name);
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    if bless {
        println!(
            "blessed: {} cases, {blessed} reference(s) rewritten in {} ({elapsed:.1} s)",
            cases.len(),
            dir.display()
        );
        return;
    }
    if !stale.is_empty() {
        let _ = writeln!(
            failures,
            "\nreferences with no case in the corpus (NS_TOOL_BLESS=1 removes them): {}",
            stale.join(", ")
        );
    }
    if !failures.is_empty() {
        let what = if failed > 0 {
            format!("{failed} of {} cases differ from", cases.len())
        } else {
            "the corpus does not match".to_string()
        };
        panic!(
            "{what} the references in {}\n\
             If the change is intended: NS_TOOL_BLESS=1 cargo test --test output_test, then \
             review `git diff tests/golden`.\n{failures}",
            dir.display()
        );
    }
    println!("{} cases match ({elapsed:.1} s)", cases.len());
}

/// tests/golden/<arch>: the references for the architecture under test.
fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(std::env::consts::ARCH)
}

fn run_case(program: &Path, c: &Case) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(&c.args)
        .env_clear()
        .env("PATH", PATH)
        .env("LC_ALL", "C")
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if c.nobody {
        // std also drops the supplementary groups (setgroups(0, NULL)).
        cmd.uid(NOBODY).gid(NOBODY);
    }
    // SAFETY: between fork and exec the closure makes only raw system
    // calls, which are async-signal-safe, on memory of its own.
    unsafe { cmd.pre_exec(default_signals) };
    // The nobody copy was just written: see output_of_fresh_copy.
    let child = loop {
        match cmd.spawn() {
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            other => break other.expect("spawn ns-tool"),
        }
    };
    let _watchdog = common::watchdog(child.id(), CASE_SECONDS);
    child.wait_with_output().expect("wait for ns-tool")
}

/// Every signal's disposition to the default, and none blocked: ignored
/// signals survive exec, and ns-tool shows (and acts on) what it inherits,
/// so the launcher's must not leak into the reference (glibc's
/// posix_spawn, for one, leaves its internal signals 32 and 33 ignored).
fn default_signals() -> std::io::Result<()> {
    use syscalls::{syscall4, Sysno};
    // The kernel's struct sigaction: handler (0: SIG_DFL), flags,
    // restorer, mask.
    let default = [0usize; 4];
    let empty = 0u64;
    for sig in 1..=64usize {
        // SIGKILL and SIGSTOP refuse (EINVAL): they are always default.
        // SAFETY: a live, zeroed sigaction; no old action wanted.
        let _ = unsafe { syscall4(Sysno::rt_sigaction, sig, default.as_ptr() as usize, 0, 8) };
    }
    // SAFETY: a live, empty 8-byte signal set.
    unsafe {
        syscall4(
            Sysno::rt_sigprocmask,
            linux_raw_sys::general::SIG_SETMASK as usize,
            &empty as *const u64 as usize,
            0,
            8,
        )
    }
    .map_err(|e| std::io::Error::from_raw_os_error(e.into_raw()))?;
    Ok(())
}

// ---- Rendering a case -------------------------------------------------

/// One line of output, as bytes, and whether a newline ended it.
struct RawLine<'a> {
    bytes: &'a [u8],
    ended: bool,
}

fn lines(bytes: &[u8]) -> Vec<RawLine<'_>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                out.push(RawLine {
                    bytes: &rest[..i],
                    ended: true,
                });
                rest = &rest[i + 1..];
            }
            None => {
                out.push(RawLine {
                    bytes: rest,
                    ended: false,
                });
                rest = &[];
            }
        }
    }
    out
}

/// Bytes as text: invalid UTF-8 as `⟦xx⟧`.
fn text(bytes: &[u8]) -> String {
    let mut s = String::new();
    for chunk in bytes.utf8_chunks() {
        s.push_str(chunk.valid());
        for b in chunk.invalid() {
            let _ = write!(s, "⟦{b:02x}⟧");
        }
    }
    s
}

/// What ns-tool's `out::Escaped` makes of bytes (trace lines show a write's
/// text so): control characters but tab, and invalid UTF-8, as `\xNN`.
fn escaped(bytes: &[u8]) -> String {
    let mut s = String::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() && c != '\t' {
                let _ = write!(s, "\\x{:02x}", c as u32);
            } else {
                s.push(c);
            }
        }
        for b in chunk.invalid() {
            let _ = write!(s, "\\x{b:02x}");
        }
    }
    s
}

/// The case's command line, as a shell would take it.
fn command_line(c: &Case, tmp: &Path) -> String {
    let words: Vec<String> = c.args.iter().map(|a| shell_word(a.as_bytes())).collect();
    let line = words.join(" ");
    line.replace(&tmp.display().to_string(), "{TMP}")
}

fn shell_word(w: &[u8]) -> String {
    let plain = |b: &u8| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(b);
    if !w.is_empty() && w.iter().all(plain) {
        return text(w);
    }
    if w.iter().all(|&b| (0x20..0x7f).contains(&b) && b != b'\'') {
        return format!("'{}'", text(w));
    }
    let mut s = String::from("$'");
    for &b in w {
        if (0x20..0x7f).contains(&b) && b != b'\'' && b != b'\\' {
            s.push(b as char);
        } else {
            let _ = write!(s, "\\x{b:02x}");
        }
    }
    s.push('\'');
    s
}

/// A masked value, before numbering: kind, then the raw value.
fn placeholder(kind: &str, value: &str) -> String {
    format!("\u{E000}{kind}\u{E001}{value}\u{E002}")
}

const PID: &str = "PID";
const PID_BYTES: &str = "PIDBYTES";
const NS: &str = "NS";

/// Gives each masked value its token (`{PID1}`, `{NS2}`, ...), numbering
/// each kind by first appearance.
#[derive(Default)]
struct Numbering {
    seen: HashMap<(&'static str, String), usize>,
    count: HashMap<&'static str, usize>,
}

impl Numbering {
    fn resolve(&mut self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find('\u{E000}') {
            out.push_str(&rest[..start]);
            let after = &rest[start + '\u{E000}'.len_utf8()..];
            let mid = after.find('\u{E001}').expect("placeholder kind");
            let end = after.find('\u{E002}').expect("placeholder end");
            let (kind, value) = (&after[..mid], &after[mid + '\u{E001}'.len_utf8()..end]);
            let class = if kind == NS { NS } else { PID };
            let n = match self.seen.get(&(class, value.to_string())) {
                Some(&n) => n,
                None => {
                    let n = self.count.entry(class).or_insert(0);
                    *n += 1;
                    self.seen.insert((class, value.to_string()), *n);
                    *n
                }
            };
            if kind == PID_BYTES {
                let _ = write!(out, "{{PID{n} as 4 bytes}}");
            } else {
                let _ = write!(out, "{{{class}{n}}}");
            }
            rest = &after[end + '\u{E002}'.len_utf8()..];
        }
        out.push_str(rest);
        out
    }
}

/// Replace the number right after each `prefix` in `s` (a `-` sign stays
/// outside) with a placeholder of `kind`; 0 and 1 stay.
fn mask_after(s: &str, prefix: &str, kind: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(prefix) {
        let after = i + prefix.len();
        out.push_str(&rest[..after]);
        rest = &rest[after..];
        let sign = usize::from(rest.starts_with('-'));
        let digits = rest[sign..].bytes().take_while(u8::is_ascii_digit).count();
        let number = &rest[sign..sign + digits];
        if digits > 0 && number != "0" && number != "1" {
            out.push_str(&rest[..sign]);
            out.push_str(&placeholder(kind, number));
            rest = &rest[sign + digits..];
        }
    }
    out.push_str(rest);
    out
}

/// Mask a line of output, or the text of a write(2) to stdout or stderr.
fn mask_output(s: &str, tmp: &str) -> String {
    let mut s = s.replace(tmp, "{TMP}");
    s = mask_after(&s, "spawned child with PID ", PID);
    s = mask_after(&s, "Parent: child ", PID);
    s = mask_after(&s, "pid:[", NS);
    if let Some(fields) = s.strip_prefix("NSpid:\t") {
        // The first field is a host PID when more fields follow.
        let digits = fields.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && fields[digits..].starts_with('\t') {
            s = format!(
                "NSpid:\t{}{}",
                placeholder(PID, &fields[..digits]),
                &fields[digits..]
            );
        }
    }
    s
}

/// A trace label `[...]`: its place in the fork chain, or None if `label`
/// is not one.
fn label_order(label: &str) -> Option<(u32, bool)> {
    let inner = label.strip_prefix('[')?.strip_suffix(']')?;
    let (child, who) = match inner.strip_prefix("child of ") {
        Some(who) => (true, who),
        None => (false, inner),
    };
    let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let level = if let Some(pid) = who.strip_prefix("host ") {
        number(pid).then_some(0)?
    } else {
        // "ns P | host O" or "nsL P | nsK O".
        let (inside, outside) = who.split_once(" | ")?;
        let (ns, pid) = inside.split_once(' ')?;
        let (outer_ns, outer) = outside.split_once(' ')?;
        if !number(pid) || !number(outer) {
            return None;
        }
        match (ns, outer_ns) {
            ("ns", "host") => 1,
            _ => {
                let level: u32 = ns.strip_prefix("ns")?.parse().ok()?;
                let outer_level: u32 = outer_ns.strip_prefix("ns")?.parse().ok()?;
                (outer_level + 1 == level).then_some(level)?
            }
        }
    };
    Some((level, child))
}

/// Split a stderr line into its trace label and the rest.
fn split_label(line: &str) -> Option<(&str, &str)> {
    let end = line.find("] ")?;
    let label = &line[..=end];
    label_order(label)?;
    Some((label, &line[end + 2..]))
}

/// A trace line's body, `CALL = RESULT  (ARCH #NR)`, in its parts.
struct Body<'a> {
    call: &'a str,
    result: &'a str,
    suffix: &'a str,
}

fn split_body(body: &str) -> Option<Body<'_>> {
    let s = body.rfind("  (")?;
    body.ends_with(')').then_some(())?;
    let main = &body[..s];
    let r = main.rfind(" = ")?;
    Some(Body {
        call: &main[..r],
        result: &main[r + 3..],
        suffix: &body[s..],
    })
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `write(FD, "TEXT", COUNT)`: FD, TEXT and COUNT.
fn split_write(call: &str) -> Option<(&str, &str, &str)> {
    let args = call.strip_prefix("write(")?.strip_suffix(')')?;
    let (fd, rest) = args.split_once(", \"")?;
    let (text, count) = rest.rsplit_once("\", ")?;
    (is_number(fd) && is_number(count)).then_some((fd, text, count))
}

/// The bytes a write's shown text stands for (`\xNN` is one byte).
fn unescape(shown: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = shown;
    while let Some(c) = rest.chars().next() {
        let hex = rest
            .strip_prefix("\\x")
            .and_then(|h| h.get(..2))
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        if let Some(h) = hex {
            out.push(u8::from_str_radix(h, 16).unwrap());
            rest = &rest[4..];
        } else {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// What one process's trace lines need remembered from line to line.
#[derive(Default)]
struct ProcessState {
    /// The write end of the last pipe2 (the go-pipe).
    pipe_write: Option<String>,
    /// Open descriptors on /proc files, and whether they have been read.
    proc_fds: HashMap<String, bool>,
}

/// Everything a case's stdout and unlabelled stderr lines are, for looking
/// up the whole text of a write the trace shows cut.
struct Pools<'a> {
    stdout: Vec<&'a [u8]>,
    stderr: Vec<&'a [u8]>,
}

/// Mask one trace line (label and body) of a process in `state`.
fn mask_trace(
    label: &str,
    body: &str,
    state: &mut ProcessState,
    pools: &Pools,
    tmp: &str,
) -> String {
    let host = label.starts_with("[host ") || label.starts_with("[child of host ");
    let label = mask_after(label, "host ", PID);
    let Some(b) = split_body(body) else {
        return format!("{label} {}", body.replace(tmp, "{TMP}"));
    };
    let name = b.call.split('(').next().unwrap_or("");
    let mut call = b.call.to_string();
    let mut result = b.result.to_string();
    let result_is_pid = |r: &str| is_number(r) && r != "0" && r != "1";
    match name {
        "write" => {
            if let Some((fd, shown, count)) = split_write(b.call) {
                let go_pipe = host && state.pipe_write.as_deref() == Some(fd) && count == "4";
                let bytes = unescape(shown);
                if go_pipe && bytes.len() == 4 {
                    let pid = u32::from_ne_bytes(bytes.try_into().unwrap());
                    call = format!(
                        "write({fd}, \"{}\", 4)",
                        placeholder(PID_BYTES, &pid.to_string())
                    );
                } else if fd == "1" || fd == "2" {
                    if let Some(masked) = mask_write_text(fd, shown, count, pools, tmp) {
                        call = format!("write({fd}, {masked}, {{LEN}})");
                        if result == count {
                            result = "{LEN}".into();
                        }
                    }
                }
            }
        }
        "readlinkat" => {
            let masked = mask_output(&call, tmp);
            if masked != call {
                call = masked;
                if is_number(&result) {
                    result = "{LEN}".into();
                }
            }
        }
        "openat" => {
            let opens_proc = call.starts_with("openat(AT_FDCWD, \"/proc/");
            let reads = !call.contains("O_WRONLY") && !call.contains("O_RDWR");
            if opens_proc && reads && is_number(&result) {
                state.proc_fds.insert(result.clone(), false);
            }
        }
        "read" => {
            // read(FD, .., SIZE)
            let args = call.strip_prefix("read(").and_then(|a| a.strip_suffix(')'));
            if let Some((fd, size)) = args.and_then(|a| a.split_once(", .., ")) {
                if let Some(read_before) = state.proc_fds.get_mut(fd) {
                    let size = if *read_before { "{ROOM}" } else { size };
                    call = format!("read({fd}, .., {size})");
                    if is_number(&result) && result != "0" {
                        result = "{LEN}".into();
                    }
                    *read_before = true;
                }
            }
        }
        "close" => {
            let fd = call.trim_start_matches("close(").trim_end_matches(')');
            state.proc_fds.remove(fd);
            if state.pipe_write.as_deref() == Some(fd) {
                state.pipe_write = None;
            }
        }
        "pipe2" => {
            let ends = call.strip_prefix("pipe2([").and_then(|c| c.split_once(']'));
            if let Some((_, w)) = ends.and_then(|(fds, _)| fds.split_once(", ")) {
                state.pipe_write = Some(w.to_string());
            }
        }
        _ => {}
    }
    if host {
        match name {
            "getpid" | "fork" | "clone" if result_is_pid(&result) => {
                result = placeholder(PID, &result);
            }
            "wait4" | "getpgid" => {
                call = mask_after(&call, "(", PID);
                if result_is_pid(&result) {
                    result = placeholder(PID, &result);
                }
            }
            "kill" | "rt_sigqueueinfo" => call = mask_after(&call, "(", PID),
            "setpgid" => call = mask_after(&mask_after(&call, "(", PID), ", ", PID),
            "openat" | "readlinkat" => {
                call = mask_after(&call, "\"/proc/", PID);
                call = mask_after(&call, "/task/", PID);
            }
            _ => {}
        }
        call = mask_after(&call, "TIOCGPGRP, [", PID);
        call = mask_after(&call, "TIOCSPGRP, [", PID);
        for field in ["si_pid=", "si_int="] {
            call = mask_after(&call, field, PID);
            result = mask_after(&result, field, PID);
        }
    }
    format!("{label} {call} = {result}{}", b.suffix).replace(tmp, "{TMP}")
}

/// The text of a write to stdout or stderr, masked, if it contains
/// anything to mask: `"TEXT"`, or for a text the trace cut at 32 bytes,
/// `"WHOLE LINE"[..32]`. None: nothing to mask (or the whole line is not
/// in the captured output, which the reference will then show).
fn mask_write_text(fd: &str, shown: &str, count: &str, pools: &Pools, tmp: &str) -> Option<String> {
    let count: usize = count.parse().ok()?;
    if count <= TRACE_TEXT_MAX {
        let masked = mask_output(shown, tmp);
        return (masked != shown).then(|| format!("\"{masked}\""));
    }
    let pool = if fd == "1" {
        &pools.stdout
    } else {
        &pools.stderr
    };
    let whole = pool.iter().find_map(|line| {
        let mut bytes = line.to_vec();
        bytes.push(b'\n');
        (bytes.len() == count && escaped(&bytes[..TRACE_TEXT_MAX]) == shown)
            .then(|| escaped(&bytes))
    })?;
    let masked = mask_output(&whole, tmp);
    (masked != whole).then(|| format!("\"{masked}\"[..{TRACE_TEXT_MAX}]"))
}

/// A section of the reference: a heading and lines (each with whether a
/// newline ended it).
struct Section {
    heading: String,
    lines: Vec<(String, bool)>,
}

/// The reference text for one run of a case.
fn render(c: &Case, out: &Output, tmp: &Path) -> String {
    let tmp = tmp.display().to_string();
    let stdout = lines(&out.stdout);
    let stderr = lines(&out.stderr);
    // Trace lines by process (raw label), in first-seen order; the rest.
    let mut groups: Vec<(String, Vec<(String, bool)>)> = Vec::new();
    let mut untraced: Vec<&RawLine> = Vec::new();
    for line in &stderr {
        let s = text(line.bytes);
        match split_label(&s) {
            Some((label, body)) => {
                let body = (body.to_string(), line.ended);
                match groups.iter_mut().find(|(l, _)| l == label) {
                    Some((_, lines)) => lines.push(body),
                    None => groups.push((label.to_string(), vec![body])),
                }
            }
            None => untraced.push(line),
        }
    }
    let pools = Pools {
        stdout: stdout.iter().map(|l| l.bytes).collect(),
        stderr: untraced.iter().map(|l| l.bytes).collect(),
    };
    // Fork-chain order; stable, so equal places keep first-seen order.
    groups.sort_by_key(|(label, _)| label_order(label).unwrap());
    let mut trace_sections = Vec::new();
    for (label, bodies) in &groups {
        let mut state = ProcessState::default();
        let lines = bodies
            .iter()
            .map(|(body, ended)| (mask_trace(label, body, &mut state, &pools, &tmp), *ended))
            .collect();
        trace_sections.push(Section {
            heading: format!("--- stderr: trace of {}", mask_after(label, "host ", PID)),
            lines,
        });
    }
    let plain = |ls: &[&RawLine]| -> Vec<(String, bool)> {
        ls.iter()
            .map(|l| (mask_output(&text(l.bytes), &tmp), l.ended))
            .collect()
    };
    let stdout_section = Section {
        heading: "--- stdout".into(),
        lines: plain(&stdout.iter().collect::<Vec<_>>()),
    };
    let untraced_section = Section {
        heading: if groups.is_empty() {
            "--- stderr".into()
        } else {
            "--- stderr: lines without a trace label".into()
        },
        lines: plain(&untraced),
    };
    // Number the masked values: trace sections, stdout, the rest.
    let mut numbering = Numbering::default();
    let mut resolve = |s: &mut Section| {
        s.heading = numbering.resolve(&s.heading);
        for (line, _) in &mut s.lines {
            *line = numbering.resolve(line);
        }
    };
    let mut sections = trace_sections;
    let mut stdout_section = stdout_section;
    let mut untraced_section = untraced_section;
    sections.iter_mut().for_each(&mut resolve);
    resolve(&mut stdout_section);
    resolve(&mut untraced_section);

    let mut r = String::new();
    let _ = writeln!(r, "# ns-tool {}", command_line(c, Path::new(&tmp)));
    let _ = writeln!(
        r,
        "# as uid {}; normalised as tests/output_test.rs describes",
        if c.nobody { NOBODY } else { 0 }
    );
    match (out.status.code(), out.status.signal()) {
        (Some(code), _) => {
            let _ = writeln!(r, "exit status {code}");
        }
        (None, Some(sig)) => {
            let _ = writeln!(r, "killed by signal {sig}");
        }
        _ => {
            let _ = writeln!(r, "ended: {:?}", out.status);
        }
    }
    for s in std::iter::once(&stdout_section)
        .chain(std::iter::once(&untraced_section))
        .chain(&sections)
    {
        let _ = writeln!(r, "{}", s.heading);
        for (line, ended) in &s.lines {
            if line.is_empty() {
                r.push_str("|\n");
            } else {
                let _ = writeln!(r, "| {line}");
            }
            if !ended {
                r.push_str("\\ no newline at end\n");
            }
        }
    }
    r
}

// ---- Reporting a difference -------------------------------------------

fn report(out: &mut String, c: &Case, file: &Path, tmp: &Path, expected: &str, actual: &str) {
    let _ = writeln!(
        out,
        "\n=== {}: ns-tool {}{}\nreference: {}",
        c.name,
        command_line(c, tmp),
        if c.nobody { "  (as uid 65534)" } else { "" },
        file.display()
    );
    let exp: Vec<&str> = expected.lines().collect();
    let act: Vec<&str> = actual.lines().collect();
    let first = (0..exp.len().max(act.len()))
        .find(|&i| exp.get(i) != act.get(i))
        .unwrap_or(0);
    let show = |l: Option<&&str>| l.map_or("(no line)".to_string(), |l| format!("{l:?}"));
    let (e, a) = (show(exp.get(first)), show(act.get(first)));
    let column = e.chars().zip(a.chars()).take_while(|(x, y)| x == y).count();
    let _ = writeln!(
        out,
        "first difference, line {}:\n  expected: {e}\n  actual:   {a}\n            {}^",
        first + 1,
        " ".repeat(column)
    );
    let _ = writeln!(out, "diff (- expected, + actual):");
    let d = diff(&exp, &act, 3);
    let total = d.lines().count();
    for line in d.lines().take(DIFF_LINES_MAX) {
        let _ = writeln!(out, "{line}");
    }
    if total > DIFF_LINES_MAX {
        let _ = writeln!(
            out,
            "... and {} more diff lines (bless into a scratch commit and `git diff` to see \
             them all)",
            total - DIFF_LINES_MAX
        );
    }
}

/// A line diff with `context` lines around each change (longest common
/// subsequence; the files are small).
fn diff(a: &[&str], b: &[&str], context: usize) -> String {
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    // The edit script: (' ' | '-' | '+', line).
    let mut ops = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push((' ', a[i], i, j));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', a[i], i, j));
            i += 1;
        } else {
            ops.push(('+', b[j], i, j));
            j += 1;
        }
    }
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k].0 != ' ').collect();
    let mut out = String::new();
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(context);
        let mut end = changed[k];
        while k < changed.len() && changed[k] <= end + 2 * context + 1 {
            end = changed[k];
            k += 1;
        }
        let end = (end + context + 1).min(ops.len());
        let (_, _, ai, bj) = ops[start];
        let _ = writeln!(
            out,
            "@@ expected line {}, actual line {} @@",
            ai + 1,
            bj + 1
        );
        for &(op, line, _, _) in &ops[start..end] {
            let _ = writeln!(out, "{op}{line}");
        }
    }
    out
}

// ---- The normalisation itself -----------------------------------------

/// Render a fake run: checks what the normalisation masks and what not.
fn normalise(stdout: &str, stderr: &str) -> String {
    let c = case("x", &["pid"]);
    let out = Output {
        status: std::process::ExitStatus::from_raw(0),
        stdout: stdout.as_bytes().to_vec(),
        stderr: stderr.as_bytes().to_vec(),
    };
    let r = render(&c, &out, Path::new("/tmp/golden-dir"));
    r.split_once("exit status 0\n").unwrap().1.to_string()
}

#[test]
fn normalisation_masks_pids_and_keeps_the_rest() {
    let stderr = "\
[child of host 4242] fork() = 0  (x86_64 #57)
[host 4242] getpid() = 4242  (x86_64 #39)
[host 4242] pipe2([3, 4], O_CLOEXEC) = 0  (x86_64 #293)
[host 4242] fork() = 123456  (x86_64 #57)
[host 4242] setpgid(123456, 123456) = 0  (x86_64 #109)
[ns 1 | host 123456] fork() = 2  (x86_64 #57)
[host 4242] write(4, \"@\\xe2\\x01\\x00\", 4) = 4  (x86_64 #1)
[host 4242] write(1, \"Parent: child 123456 exited with\", 42) = 42  (x86_64 #1)
[ns 1 | host 123456] write(1, \"NSpid:\t123456\t1\\x0a\", 16) = 16  (x86_64 #1)
[host 4242] wait4(123456, [exited 0], WNOHANG|__WALL, NULL) = 123456  (x86_64 #61)
[host 4242] kill(-123456, SIGCONT) = 0  (x86_64 #62)
[host 4242] rt_sigtimedwait(~[SIGKILL SIGSTOP], .., NULL, 8) = SIGCHLD {si_code=1, si_pid=123456}  (x86_64 #128)
[ns 1 | host 123456] wait4(-1, [exited 0], WNOHANG, NULL) = 2  (x86_64 #61)
[ns 1 | host 123456] openat(AT_FDCWD, \"/proc/self/status\", O_CLOEXEC) = 3  (x86_64 #257)
[ns 1 | host 123456] read(3, .., 4096) = 1419  (x86_64 #0)
[ns 1 | host 123456] read(3, .., 2677) = 0  (x86_64 #0)
[ns 1 | host 123456] close(3) = 0  (x86_64 #3)
[ns 1 | host 123456] read(3, .., 4) = 4  (x86_64 #0)
[ns 1 | host 123456] readlinkat(AT_FDCWD, \"/proc/self/ns/pid\", \"pid:[4026531836]\", 64) = 16  (x86_64 #267)
[ns 1 | host 123456] execve(\"/tmp/golden-dir/x\", [\"x\"], envp) = ?  (x86_64 #59)
";
    let stdout = "Parent: child 123456 exited with status 0\nNSpid:\t123456\t1\n";
    let expected = "\
--- stdout
| Parent: child {PID2} exited with status 0
| NSpid:\t{PID2}\t1
--- stderr: lines without a trace label
--- stderr: trace of [host {PID1}]
| [host {PID1}] getpid() = {PID1}  (x86_64 #39)
| [host {PID1}] pipe2([3, 4], O_CLOEXEC) = 0  (x86_64 #293)
| [host {PID1}] fork() = {PID2}  (x86_64 #57)
| [host {PID1}] setpgid({PID2}, {PID2}) = 0  (x86_64 #109)
| [host {PID1}] write(4, \"{PID2 as 4 bytes}\", 4) = 4  (x86_64 #1)
| [host {PID1}] write(1, \"Parent: child {PID2} exited with status 0\\x0a\"[..32], {LEN}) = {LEN}  (x86_64 #1)
| [host {PID1}] wait4({PID2}, [exited 0], WNOHANG|__WALL, NULL) = {PID2}  (x86_64 #61)
| [host {PID1}] kill(-{PID2}, SIGCONT) = 0  (x86_64 #62)
| [host {PID1}] rt_sigtimedwait(~[SIGKILL SIGSTOP], .., NULL, 8) = SIGCHLD {si_code=1, si_pid={PID2}}  (x86_64 #128)
--- stderr: trace of [child of host {PID1}]
| [child of host {PID1}] fork() = 0  (x86_64 #57)
--- stderr: trace of [ns 1 | host {PID2}]
| [ns 1 | host {PID2}] fork() = 2  (x86_64 #57)
| [ns 1 | host {PID2}] write(1, \"NSpid:\t{PID2}\t1\\x0a\", {LEN}) = {LEN}  (x86_64 #1)
| [ns 1 | host {PID2}] wait4(-1, [exited 0], WNOHANG, NULL) = 2  (x86_64 #61)
| [ns 1 | host {PID2}] openat(AT_FDCWD, \"/proc/self/status\", O_CLOEXEC) = 3  (x86_64 #257)
| [ns 1 | host {PID2}] read(3, .., 4096) = {LEN}  (x86_64 #0)
| [ns 1 | host {PID2}] read(3, .., {ROOM}) = 0  (x86_64 #0)
| [ns 1 | host {PID2}] close(3) = 0  (x86_64 #3)
| [ns 1 | host {PID2}] read(3, .., 4) = 4  (x86_64 #0)
| [ns 1 | host {PID2}] readlinkat(AT_FDCWD, \"/proc/self/ns/pid\", \"pid:[{NS1}]\", 64) = {LEN}  (x86_64 #267)
| [ns 1 | host {PID2}] execve(\"{TMP}/x\", [\"x\"], envp) = ?  (x86_64 #59)
";
    let got = normalise(stdout, stderr);
    assert_eq!(
        got,
        expected,
        "\n{}",
        diff(
            &expected.lines().collect::<Vec<_>>(),
            &got.lines().collect::<Vec<_>>(),
            2
        )
    );
}

#[test]
fn output_lines_keep_what_does_not_vary() {
    let got = normalise(
        "PID inside namespace: 1\nNSpid:\t1\nLevel 1: PID 1 inside\nno newline",
        "ns-tool: unknown command 'n\\xffet'\n\u{1b}raw\n",
    );
    assert_eq!(
        got,
        "--- stdout\n| PID inside namespace: 1\n| NSpid:\t1\n| Level 1: PID 1 inside\n\
         | no newline\n\\ no newline at end\n--- stderr\n\
         | ns-tool: unknown command 'n\\xffet'\n| \u{1b}raw\n"
    );
}

#[test]
fn diff_marks_the_changed_lines() {
    let a = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];
    let b = ["1", "2", "3", "4", "five", "6", "7", "8", "9"];
    assert_eq!(
        diff(&a, &b, 1),
        "@@ expected line 4, actual line 4 @@\n 4\n-5\n+five\n 6\n"
    );
}
