//! Starting QEMU on a kernel and an initramfs, collecting what the guest
//! prints on its serial console, and killing QEMU when it runs too long.
//!
//! The machines:
//!
//! * x86_64: `qemu-system-x86_64 -M microvm`, a PC without PCI, firmware
//!   tables or legacy devices beyond a serial port: boots in about half the
//!   time of q35. Console on ttyS0.
//! * aarch64: `qemu-system-aarch64 -M virt -cpu cortex-a57`. Console on the
//!   PL011 UART, ttyAMA0.
//!
//! Both run on TCG (QEMU's own CPU emulator) unless `NS_TOOL_VM_ACCEL=kvm`.

use crate::Arch;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// How the guest CPU is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accel {
    /// QEMU's emulator: works everywhere, the default.
    Tcg,
    /// Hardware virtualisation: only for the host's own architecture.
    Kvm,
}

impl Accel {
    /// From `NS_TOOL_VM_ACCEL` (`tcg`, the default, or `kvm`).
    pub fn from_env() -> Result<Accel, String> {
        match std::env::var("NS_TOOL_VM_ACCEL").as_deref() {
            Err(_) | Ok("") | Ok("tcg") => Ok(Accel::Tcg),
            Ok("kvm") => Ok(Accel::Kvm),
            Ok(other) => Err(format!(
                "NS_TOOL_VM_ACCEL={other:?}: expected \"tcg\" or \"kvm\""
            )),
        }
    }
}

/// One boot to carry out.
pub struct Machine<'a> {
    pub arch: Arch,
    pub kernel: &'a Path,
    pub initrd: &'a Path,
    /// The program the kernel starts as PID 1 from the initramfs
    /// (`rdinit=`), e.g. `/init`.
    pub rdinit: &'a str,
    /// Its arguments, after `--` on the kernel's command line (see
    /// [`init_args`]).
    pub init_args: &'a [String],
    pub accel: Accel,
    /// Wall-clock limit for the whole QEMU run.
    pub timeout: Duration,
}

/// What came out of a QEMU run.
pub struct Run {
    /// Everything the guest wrote on its serial console.
    pub console: Vec<u8>,
    /// When console bytes arrived: (end offset in `console`, time since
    /// QEMU was started), one entry per read.
    pub arrivals: Vec<(usize, Duration)>,
    /// QEMU's own messages (bad options, a kernel it cannot load...).
    pub qemu_stderr: String,
    /// QEMU's exit status; `None` when it was killed for running too long.
    pub status: Option<ExitStatus>,
    /// From QEMU's start to its end.
    pub elapsed: Duration,
    /// The command line, to re-run by hand.
    pub command_line: String,
}

impl Run {
    pub fn timed_out(&self) -> bool {
        self.status.is_none()
    }

    /// When the console byte at `offset` had arrived.
    pub fn arrival_of(&self, offset: usize) -> Option<Duration> {
        self.arrivals
            .iter()
            .find(|(end, _)| *end > offset)
            .map(|(_, t)| *t)
    }
}

/// The QEMU program for `arch`, and the Debian package that has it.
pub fn qemu_program(arch: Arch) -> (&'static str, &'static str) {
    match arch {
        Arch::X86_64 => ("qemu-system-x86_64", "qemu-system-x86"),
        Arch::Aarch64 => ("qemu-system-aarch64", "qemu-system-arm"),
    }
}

/// The QEMU program for `arch` on PATH, or one line on what to install.
pub fn find_qemu(arch: Arch) -> Result<PathBuf, String> {
    find_qemu_in(arch, std::env::var_os("PATH").as_deref())
}

fn find_qemu_in(arch: Arch, path: Option<&std::ffi::OsStr>) -> Result<PathBuf, String> {
    let (program, package) = qemu_program(arch);
    path.into_iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!("{program} not found: install QEMU (Debian: apt-get install {package})")
        })
}

/// QEMU's arguments for one boot (without the program name).
pub fn arguments(m: &Machine) -> Result<Vec<String>, String> {
    let host = std::env::consts::ARCH;
    if m.accel == Accel::Kvm && host != m.arch.name() {
        return Err(format!(
            "NS_TOOL_VM_ACCEL=kvm: a {} guest cannot use KVM on this {host} host; unset it to emulate (TCG)",
            m.arch.name()
        ));
    }
    let rdinit = format!("rdinit={}", m.rdinit);
    let mut append = vec![
        rdinit.as_str(),
        // A kernel panic (e.g. /init died) reboots at once, and -no-reboot
        // turns that into QEMU exiting.
        "panic=-1",
        // Kernel messages only from warnings up: fewer lines between the
        // frames on the shared console, and a faster boot.
        "quiet",
        // Emulated CPUs are slow: skip the crypto self-tests (~0.3 s) and
        // the speculative-execution workarounds, which guard nothing here.
        "cryptomgr.notests",
        "mitigations=off",
    ];
    let tsc;
    let mut args: Vec<String> = Vec::new();
    match m.arch {
        Arch::X86_64 => {
            args.extend(["-M", "microvm"].map(String::from));
            append.push("console=ttyS0");
            if m.accel == Accel::Tcg {
                // microvm has no HPET or ACPI PM timer, so the kernel can
                // only time the TSC against the PIT, which fails under load
                // with emulated timers (the boot then hangs). Under TCG the
                // guest TSC ticks at the host's rate: tell the kernel.
                if let Some(khz) = host_tsc_khz() {
                    tsc = format!("tsc_early_khz={khz}");
                    append.push(&tsc);
                }
            }
        }
        Arch::Aarch64 => {
            args.extend(["-M", "virt"].map(String::from));
            if m.accel == Accel::Tcg {
                // Fast to emulate (no pointer authentication, unlike "max").
                args.extend(["-cpu", "cortex-a57"].map(String::from));
            }
            append.push("console=ttyAMA0");
        }
    }
    match m.accel {
        Accel::Tcg => args.extend(["-accel", "tcg"].map(String::from)),
        Accel::Kvm => args.extend(["-accel", "kvm", "-cpu", "host"].map(String::from)),
    }
    args.extend(
        [
            // No default devices (network cards, VGA...), no config files.
            "-nodefaults",
            "-no-user-config",
            "-display",
            "none",
            // The serial console on QEMU's stdout; the monitor nowhere.
            "-serial",
            "stdio",
            "-monitor",
            "none",
            // A guest reboot (our panic=-1) ends QEMU instead.
            "-no-reboot",
            "-m",
            "256",
            "-smp",
            "1",
        ]
        .map(String::from),
    );
    args.push("-kernel".into());
    args.push(m.kernel.display().to_string());
    args.push("-initrd".into());
    args.push(m.initrd.display().to_string());
    let mut append = append.join(" ");
    if !m.init_args.is_empty() {
        append.push_str(" -- ");
        append.push_str(&init_args(m.init_args)?);
    }
    args.push("-append".into());
    args.push(append);
    Ok(args)
}

/// The kernel command line's tail that makes `args` init's argv[1..]:
/// Linux passes each word after `--` to init as an argument (and `HOME=/`
/// and `TERM=linux` as its environment, no PATH). Its parser
/// (`next_arg()`, lib/cmdline.c) splits at spaces and tabs unless inside
/// double quotes, and strips the quotes around a whole word: a word with
/// spaces goes in as `"a b"`. It cannot carry a double quote, an empty
/// word or a newline; and a second `--` ends the list (`parse_args()`
/// stops at every `--`), so `init -- COMMAND` cannot get through: what
/// follows the second `--` is silently dropped. Those are refused here,
/// as is more than 31 arguments (MAX_INIT_ARGS, 32 with argv[0]).
pub fn init_args(args: &[String]) -> Result<String, String> {
    if args.len() > 31 {
        return Err(format!(
            "{} init arguments: the kernel passes at most 31",
            args.len()
        ));
    }
    let mut words = Vec::new();
    for a in args {
        if a.is_empty() || a.contains(['"', '\n', '\0']) {
            return Err(format!(
                "init argument {a:?}: the kernel's command line cannot carry an empty word, a \
                 double quote or a newline"
            ));
        }
        if a == "--" {
            return Err(
                "init argument \"--\": the kernel stops passing arguments to init at a second \
                 `--` (parse_args), dropping the rest; leave it out (ns-tool takes COMMAND \
                 without it)"
                    .into(),
            );
        }
        if a.contains([' ', '\t']) {
            words.push(format!("\"{a}\""));
        } else {
            words.push(a.clone());
        }
    }
    Ok(words.join(" "))
}

/// The host's TSC frequency in kHz (x86_64 hosts only), measured once.
fn host_tsc_khz() -> Option<u64> {
    static KHZ: OnceLock<Option<u64>> = OnceLock::new();
    *KHZ.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            #[allow(unused_unsafe)]
            let tsc = || unsafe { std::arch::x86_64::_rdtsc() };
            let (t0, c0) = (Instant::now(), tsc());
            thread::sleep(Duration::from_millis(20));
            let (c1, t1) = (tsc(), Instant::now());
            let khz = (c1.wrapping_sub(c0) as u128 * 1000 / (t1 - t0).as_micros().max(1)) as u64;
            (khz > 0).then_some(khz)
        }
        #[cfg(not(target_arch = "x86_64"))]
        None
    })
}

/// Boot `m` and wait for QEMU to end, or kill it at the timeout. `Err` only
/// when QEMU could not be started at all.
pub fn run(m: &Machine) -> Result<Run, String> {
    let (program, _) = qemu_program(m.arch);
    let path = find_qemu(m.arch)?;
    let args = arguments(m)?;
    let command_line = std::iter::once(program.to_string())
        .chain(args.iter().map(|a| shell_quote(a)))
        .collect::<Vec<_>>()
        .join(" ");

    let mut cmd = Command::new(&path);
    cmd.args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // QEMU dies with the test process, whatever ends that.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", path.display()))?;

    // The console, read as it comes, with arrival times.
    let console = Arc::new(Mutex::new((Vec::new(), Vec::new())));
    let mut out = child.stdout.take().unwrap();
    let sink = console.clone();
    let console_reader = thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n @ 1..) = out.read(&mut buf) {
            let mut s = sink.lock().unwrap();
            s.0.extend_from_slice(&buf[..n]);
            let end = s.0.len();
            s.1.push((end, started.elapsed()));
        }
    });
    let mut err = child.stderr.take().unwrap();
    let stderr_reader = thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });

    let pid = child.id() as libc::pid_t;
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let status = match rx.recv_timeout(m.timeout) {
        Ok(Ok(status)) => Some(status),
        Ok(Err(e)) => return Err(format!("waiting for {program}: {e}")),
        Err(_) => {
            unsafe { libc::kill(pid, libc::SIGKILL) };
            let _ = rx.recv();
            None
        }
    };
    let elapsed = started.elapsed();
    let _ = console_reader.join();
    let qemu_stderr = stderr_reader.join().unwrap_or_default();
    let (console, arrivals) = std::mem::take(&mut *console.lock().unwrap());
    Ok(Run {
        console,
        arrivals,
        qemu_stderr,
        status,
        elapsed,
        command_line,
    })
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=,:+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(arch: Arch, accel: Accel) -> Machine<'static> {
        Machine {
            arch,
            kernel: Path::new("/k"),
            initrd: Path::new("/i"),
            rdinit: "/init",
            init_args: &[],
            accel,
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn arguments_per_arch() {
        let x = arguments(&machine(Arch::X86_64, Accel::Tcg))
            .unwrap()
            .join(" ");
        assert!(x.starts_with("-M microvm"), "{x}");
        assert!(x.contains("-accel tcg"), "{x}");
        assert!(x.contains("-no-reboot"), "{x}");
        assert!(x.contains("console=ttyS0"), "{x}");
        assert!(x.contains("-kernel /k -initrd /i -append"), "{x}");
        let a = arguments(&machine(Arch::Aarch64, Accel::Tcg))
            .unwrap()
            .join(" ");
        assert!(a.starts_with("-M virt -cpu cortex-a57 -accel tcg"), "{a}");
        assert!(a.contains("console=ttyAMA0"), "{a}");
        assert!(a.contains("panic=-1"), "{a}");
    }

    #[test]
    fn init_arguments_after_dashes() {
        let args: Vec<String> = ["init", "/bin/sh", "-c", "echo a b; exit 7"]
            .map(String::from)
            .to_vec();
        let mut m = machine(Arch::X86_64, Accel::Tcg);
        m.rdinit = "/bin/ns-tool";
        m.init_args = &args;
        let a = arguments(&m).unwrap();
        let append = a.last().unwrap();
        assert!(
            append.starts_with("rdinit=/bin/ns-tool panic=-1 "),
            "{append}"
        );
        assert!(
            append.ends_with(" -- init /bin/sh -c \"echo a b; exit 7\""),
            "{append}"
        );
        // Without arguments, no `--`.
        let a = arguments(&machine(Arch::Aarch64, Accel::Tcg)).unwrap();
        assert!(!a.last().unwrap().contains("--"), "{a:?}");
        for bad in ["--", "", "say \"hi\"", "a\nb"] {
            let e = init_args(&[bad.to_string()]).unwrap_err();
            assert!(e.starts_with("init argument"), "{e}");
        }
        assert!(init_args(&vec!["x".to_string(); 32]).is_err());
        assert!(init_args(&vec!["x".to_string(); 31]).is_ok());
    }

    #[test]
    fn kvm_only_for_the_host_arch() {
        let host = std::env::consts::ARCH;
        for arch in Arch::ALL {
            let r = arguments(&machine(arch, Accel::Kvm));
            if arch.name() == host {
                assert!(r.unwrap().join(" ").contains("-accel kvm -cpu host"));
            } else {
                assert!(r.unwrap_err().contains("cannot use KVM"));
            }
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("-M"), "-M");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn missing_qemu_is_one_clear_line() {
        let e = find_qemu_in(Arch::Aarch64, Some("/nonexistent".as_ref())).unwrap_err();
        assert_eq!(
            e,
            "qemu-system-aarch64 not found: install QEMU (Debian: apt-get install qemu-system-arm)"
        );
        assert!(find_qemu_in(Arch::X86_64, None).is_err());
    }
}
