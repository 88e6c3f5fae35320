//! `ns-tool-vm`: boot a small Linux VM under QEMU, run ns-tool in it, and
//! check what it did, with an assert_cmd-like API.
//!
//! ```no_run
//! use ns_tool_vm::{Arch, Vm, NOBODY};
//!
//! let mut vm = Vm::new(Arch::Aarch64, "example");
//! vm.run("root", ["pid"]); // /bin/ns-tool pid, as root
//! vm.run_as("nobody", NOBODY, ["pid"]); // ... as uid/gid 65534
//! let boot = vm.boot().unwrap_or_else(|e| panic!("{e}")); // one boot for all
//! boot.step("root").success().stdout_contains("PID inside namespace: 1");
//! boot.step("nobody").code(1);
//! ```
//!
//! The layers, one module each (docs/testing.md tells the whole story):
//! * [`kernel`]: which kernel image to boot;
//! * [`initramfs`]: the cpio archive with `/init` (qemu/vm-init), ns-tool
//!   and the plan;
//! * [`qemu`]: running QEMU with a wall-clock timeout;
//! * [`wire`]: the plan and the framed console protocol, shared with
//!   `/init`;
//! * [`protocol`]: reading the console back into per-step results;
//! * [`assert`]: the checks, whose failures carry the guest's console;
//! * [`bare`]: boots without /init, where the kernel starts ns-tool itself
//!   as the machine's PID 1 (`ns-tool init`), checked on the console.

pub mod assert;
pub mod bare;
pub mod initramfs;
pub mod kernel;
pub mod protocol;
pub mod qemu;
pub mod seccomp;
pub mod wire;

pub use assert::Assert;
pub use protocol::Status;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;
use wire::{Plan, Step};

/// uid and gid of `nobody`: the unprivileged user of the scenarios.
pub const NOBODY: u32 = 65534;

/// Where ns-tool sits in the guest.
pub const NS_TOOL: &str = "/bin/ns-tool";

/// A guest architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    Aarch64,
}

impl Arch {
    pub const ALL: [Arch; 2] = [Arch::X86_64, Arch::Aarch64];

    /// As Rust and uname spell it.
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }

    /// The suffix of the per-arch environment variables.
    pub fn env_suffix(self) -> &'static str {
        match self {
            Arch::X86_64 => "X86_64",
            Arch::Aarch64 => "AARCH64",
        }
    }

    /// The Rust target that static guest programs are built for.
    pub fn musl_target(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-linux-musl",
            Arch::Aarch64 => "aarch64-unknown-linux-musl",
        }
    }

    /// The ELF header's `e_machine` of this architecture's programs.
    pub fn elf_machine(self) -> u16 {
        match self {
            Arch::X86_64 => 62,   // EM_X86_64
            Arch::Aarch64 => 183, // EM_AARCH64
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The repository this crate sits in (qemu/harness/../..).
pub fn repo_root() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    p.canonicalize().unwrap_or(p)
}

/// A program for the guest: `$VAR` if set, else `default`; one line on how
/// to build it when it is missing.
fn guest_program(var: &str, default: PathBuf, how: &str) -> Result<PathBuf, String> {
    let path = std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or(default);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} not found: {how} (or set {var})",
            path.display()
        ))
    }
}

/// The program at `path`, for the `arch` guest: an ELF file for that
/// machine, or one line on what it is instead (a swapped `NS_TOOL_BIN_*`
/// would otherwise fail as an unexplained boot).
pub fn read_guest_program(arch: Arch, path: &Path) -> Result<Vec<u8>, String> {
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let machine = match data.get(..20) {
        Some(h) if h.starts_with(b"\x7fELF") => u16::from_le_bytes([h[18], h[19]]),
        _ => return Err(format!("{}: not an ELF program", path.display())),
    };
    if machine == arch.elf_machine() {
        return Ok(data);
    }
    let what = Arch::ALL
        .iter()
        .find(|a| a.elf_machine() == machine)
        .map_or(format!("an ELF program for machine {machine}"), |a| {
            format!("an {} program", a.name())
        });
    Err(format!(
        "{} is {what}, not {} (check NS_TOOL_BIN_{} / NS_TOOL_VM_INIT_{})",
        path.display(),
        arch.name(),
        arch.env_suffix(),
        arch.env_suffix()
    ))
}

/// The static ns-tool for `arch`: `NS_TOOL_BIN_<ARCH>`, else the
/// `build-static` output.
pub fn ns_tool_binary(arch: Arch) -> Result<PathBuf, String> {
    guest_program(
        &format!("NS_TOOL_BIN_{}", arch.env_suffix()),
        repo_root().join(format!("target/{}/release/ns-tool", arch.musl_target())),
        "run `cargo make build-static`",
    )
}

/// The guest's /init for `arch`: `NS_TOOL_VM_INIT_<ARCH>`, else the
/// `build-vm-init` output.
pub fn vm_init_binary(arch: Arch) -> Result<PathBuf, String> {
    guest_program(
        &format!("NS_TOOL_VM_INIT_{}", arch.env_suffix()),
        repo_root().join(format!(
            "target/vm-init/{}/release/vm-init",
            arch.musl_target()
        )),
        "run `cargo make build-vm-init`",
    )
}

/// Where console logs, initramfs images and QEMU command lines are kept:
/// `NS_TOOL_VM_LOG_DIR`, else target/vm-logs.
pub fn log_dir() -> PathBuf {
    std::env::var_os("NS_TOOL_VM_LOG_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/vm-logs"))
}

/// The wall-clock limit of one boot: `NS_TOOL_VM_TIMEOUT` (seconds), else
/// 60 s.
pub fn boot_timeout() -> Result<Duration, String> {
    match std::env::var("NS_TOOL_VM_TIMEOUT") {
        Err(_) => Ok(Duration::from_secs(60)),
        Ok(s) => s
            .parse::<f64>()
            .ok()
            .filter(|s| *s > 0.0 && s.is_finite())
            .map(Duration::from_secs_f64)
            .ok_or_else(|| format!("NS_TOOL_VM_TIMEOUT={s:?}: expected seconds, e.g. 60")),
    }
}

/// A step as the tests know it.
#[derive(Debug, Clone)]
struct StepInfo {
    label: String,
    /// For people: the command and the user.
    description: String,
}

/// A VM about to be booted: the steps it will carry out, in order.
pub struct Vm {
    arch: Arch,
    name: String,
    steps: Vec<Step>,
    info: Vec<StepInfo>,
    files: Vec<(String, u32, Vec<u8>)>,
    step_timeout: Duration,
    timeout: Option<Duration>,
}

impl Vm {
    /// `name` names the boot in logs and messages (e.g. "shared").
    pub fn new(arch: Arch, name: &str) -> Vm {
        Vm {
            arch,
            name: name.to_string(),
            steps: Vec::new(),
            info: Vec::new(),
            files: Vec::new(),
            step_timeout: Duration::from_secs(20),
            timeout: None,
        }
    }

    pub fn arch(&self) -> Arch {
        self.arch
    }

    fn push(&mut self, label: &str, description: String, step: Step) -> &mut Self {
        assert!(
            !self.info.iter().any(|i| i.label == label),
            "two steps labelled {label:?}"
        );
        assert!(
            !self.steps.iter().any(|s| matches!(s, Step::Exec { .. })),
            "no step can follow exec_as_init ({label:?})"
        );
        self.steps.push(step);
        self.info.push(StepInfo {
            label: label.to_string(),
            description,
        });
        self
    }

    /// `ns-tool ARGS` as root.
    pub fn run<I, S>(&mut self, label: &str, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.command_as(label, 0, ns_tool_argv(args))
    }

    /// `ns-tool ARGS` as uid and gid `id` (e.g. [`NOBODY`]), no
    /// supplementary groups.
    pub fn run_as<I, S>(&mut self, label: &str, id: u32, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.command_as(label, id, ns_tool_argv(args))
    }

    /// Any program in the guest, `argv[0]` an absolute path, as uid and gid
    /// `id` (0: root). Add the program with [`Vm::file`] first.
    pub fn command_as<I, S>(&mut self, label: &str, id: u32, argv: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let argv: Vec<String> = argv.into_iter().map(|a| a.as_ref().to_string()).collect();
        assert!(!argv.is_empty(), "step {label:?}: empty command");
        let who = if id == 0 {
            "root".to_string()
        } else {
            format!("uid/gid {id}")
        };
        let description = format!("`{}` as {who}", argv.join(" "));
        let timeout_ms = self.step_timeout.as_millis() as u64;
        self.push(
            label,
            description,
            Step::Run {
                uid: id,
                gid: id,
                timeout_ms,
                ignored: 0,
                argv: argv.into_iter().map(String::into_bytes).collect(),
            },
        )
    }

    /// Start the last `run` step with the signals `sigs` ignored (SIG_IGN
    /// survives exec), as `nohup` or a shell's `cmd &` would.
    pub fn ignoring(&mut self, sigs: &[u32]) -> &mut Self {
        let Some(Step::Run { ignored, .. }) = self.steps.last_mut() else {
            panic!("ignoring() follows a run step");
        };
        for sig in sigs {
            *ignored |= 1 << (sig - 1);
        }
        let info = self.info.last_mut().unwrap();
        info.description
            .push_str(&format!(" with signals {sigs:?} ignored"));
        self
    }

    /// The target of a symbolic link in the guest, as the step's stdout
    /// (e.g. `/proc/1/ns/pid`, read by /init itself).
    pub fn readlink(&mut self, label: &str, path: &str) -> &mut Self {
        self.push(
            label,
            format!("readlink {path} (by /init)"),
            Step::Readlink {
                path: path.as_bytes().to_vec(),
            },
        )
    }

    /// `ns-tool ARGS` as the machine's init: /init exec's it, so it keeps
    /// PID 1 of the root PID namespace, and its exit ends the boot (the
    /// kernel panics "Attempted to kill init!", from which the exit status
    /// is read). Its stdout and stderr both go to the console and come back
    /// merged as the step's stdout. Must be the last step.
    pub fn exec_as_init<I, S>(&mut self, label: &str, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let argv = ns_tool_argv(args);
        let description = format!("`{}` exec'd as PID 1", argv.join(" "));
        self.push(
            label,
            description,
            Step::Exec {
                argv: argv.into_iter().map(String::into_bytes).collect(),
            },
        )
    }

    /// An extra file in the initramfs, e.g. a helper program for a scenario
    /// (`/bin/helper`, 0o755). Parent folders are made as needed.
    pub fn file(&mut self, path: &str, mode: u32, data: Vec<u8>) -> &mut Self {
        self.files.push((path.to_string(), mode, data));
        self
    }

    /// How long /init lets each following `run` step take (default 20 s).
    pub fn step_timeout(&mut self, t: Duration) -> &mut Self {
        self.step_timeout = t;
        self
    }

    /// The boot's wall-clock limit (default: [`boot_timeout`]).
    pub fn timeout(&mut self, t: Duration) -> &mut Self {
        self.timeout = Some(t);
        self
    }

    /// The initramfs for this VM.
    fn initramfs(&self, init: &[u8], ns_tool: &[u8], plan: &Plan) -> Vec<u8> {
        let mut c = initramfs::Cpio::new();
        let mut dirs: Vec<String> = ["bin", "dev", "proc", "tmp"].map(String::from).to_vec();
        for (path, _, _) in &self.files {
            let mut p = Path::new(path.trim_start_matches('/'));
            while let Some(parent) = p.parent().filter(|p| !p.as_os_str().is_empty()) {
                dirs.push(parent.display().to_string());
                p = parent;
            }
        }
        dirs.sort();
        dirs.dedup();
        for d in &dirs {
            c.dir(d, 0o755);
        }
        c.char_dev("dev/console", 0o600, 5, 1)
            .file("init", 0o755, init)
            .file(NS_TOOL, 0o755, ns_tool)
            .file(wire::PLAN_PATH, 0o644, plan.encode().as_bytes());
        for (path, mode, data) in &self.files {
            c.file(path, *mode, data);
        }
        c.finish()
    }

    /// Boot once and carry out all steps. `Err`: the boot itself went wrong
    /// (nothing to boot with, QEMU killed at the timeout, the guest's report
    /// broken off...); the message says why and carries the console.
    pub fn boot(&self) -> Result<Boot, String> {
        let arch = self.arch;
        let Prepared {
            accel,
            timeout,
            kernel,
            ns_tool,
        } = prepare(arch, self.timeout)?;
        let init = read_guest_program(arch, &vm_init_binary(arch)?)?;

        // The guest's own deadline comes before the host's, so that a hung
        // step still ends in a report from /init when it can.
        let deadline = timeout
            .saturating_sub(Duration::from_secs(5))
            .max(timeout / 2);
        let plan = Plan {
            deadline_ms: deadline.as_millis() as u64,
            steps: self.steps.clone(),
        };

        let dir = log_dir();
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let stem = format!("{}-{}", self.name, arch.name());
        let initrd = dir.join(format!("{stem}.initramfs"));
        std::fs::write(&initrd, self.initramfs(&init, &ns_tool, &plan))
            .map_err(|e| format!("{}: {e}", initrd.display()))?;

        let run = qemu::run(&qemu::Machine {
            arch,
            kernel: &kernel,
            initrd: &initrd,
            rdinit: "/init",
            init_args: &[],
            accel,
            timeout,
        })?;
        let log_path = dir.join(format!("{stem}.log"));
        let _ = std::fs::write(&log_path, &run.console);
        let _ = std::fs::write(dir.join(format!("{stem}.cmd")), &run.command_line);

        let console = String::from_utf8_lossy(&run.console).replace('\r', "");
        let mut boot = Boot {
            arch,
            name: self.name.clone(),
            info: self.info.clone(),
            transcript: protocol::Transcript {
                steps: vec![Default::default(); self.steps.len()],
                end: protocol::End::Incomplete,
                init_started_ms: None,
                verdict_ms: None,
                verdict_offset: None,
            },
            console,
            log_path,
            command_line: run.command_line.clone(),
            qemu_stderr: run.qemu_stderr.clone(),
            accel,
            qemu_total: run.elapsed,
            to_verdict: None,
        };
        if run.timed_out() {
            // What the guest did report is still worth showing.
            if let Ok(t) = protocol::parse(&run.console, self.steps.len()) {
                boot.transcript = t;
            }
            return Err(boot.report(&format!(
                "the {} VM {:?} did not finish within {:.0?}: QEMU killed",
                arch.name(),
                self.name,
                timeout
            )));
        }
        match protocol::parse(&run.console, self.steps.len()) {
            Ok(t) => boot.transcript = t,
            Err(e) => return Err(boot.report(&format!("unreadable guest report: {e}"))),
        }
        boot.to_verdict = boot
            .transcript
            .verdict_offset
            .and_then(|o| run.arrival_of(o.saturating_sub(1)));
        boot.print_timing();

        let execs = self.steps.iter().any(|s| matches!(s, Step::Exec { .. }));
        use protocol::End;
        let problem = match &boot.transcript.end {
            End::Done if !execs => None,
            End::InitExited { .. } if execs => None,
            End::Done => Some("/init finished although a step should have replaced it".into()),
            End::InitExited { wait_status } => Some(format!(
                "the guest's init exited (wait status {wait_status:#x}) before the plan was done"
            )),
            End::InitPanicked(m) => Some(format!("the guest's /init panicked: {m}")),
            End::Watchdog => Some(format!(
                "the guest's watchdog powered it off after {:.0?} (a step hung?)",
                deadline
            )),
            End::KernelPanic(line) => Some(format!("the guest kernel panicked: {line}")),
            End::Incomplete => Some(format!(
                "the guest's report broke off (QEMU exit {})",
                run.status.map_or("?".into(), |s| s.to_string())
            )),
        };
        match problem {
            None => Ok(boot),
            Some(p) => Err(boot.report(&format!(
                "the {} VM {:?} failed: {p}",
                arch.name(),
                self.name
            ))),
        }
    }
}

fn ns_tool_argv<I, S>(args: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    std::iter::once(NS_TOOL.to_string())
        .chain(args.into_iter().map(|a| a.as_ref().to_string()))
        .collect()
}

/// A finished boot: each step's output and status.
pub struct Boot {
    arch: Arch,
    name: String,
    info: Vec<StepInfo>,
    transcript: protocol::Transcript,
    /// The serial console, \r removed.
    console: String,
    log_path: PathBuf,
    command_line: String,
    qemu_stderr: String,
    accel: qemu::Accel,
    qemu_total: Duration,
    /// From QEMU's start to the verdict's arrival on the console.
    to_verdict: Option<Duration>,
}

impl Boot {
    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// The checks on the step labelled `label`.
    pub fn step(&self, label: &str) -> Assert<'_> {
        let index = self
            .info
            .iter()
            .position(|i| i.label == label)
            .unwrap_or_else(|| panic!("no step labelled {label:?} in the {:?} boot", self.name));
        Assert::new(self, index)
    }

    /// Everything the guest printed on its console.
    pub fn console(&self) -> &str {
        &self.console
    }

    /// Guest time from the kernel's start to the verdict (all steps
    /// reported, or the exec'd init's exit).
    pub fn kernel_to_verdict(&self) -> Option<Duration> {
        self.transcript.verdict_ms.map(Duration::from_millis)
    }

    /// Host time from QEMU's start to the verdict.
    pub fn qemu_to_verdict(&self) -> Option<Duration> {
        self.to_verdict
    }

    /// One line per boot, on stderr past the test harness's capture (it
    /// only captures print!/eprint!), so every run shows its boot times.
    fn print_timing(&self) {
        let secs =
            |d: Option<Duration>| d.map_or("?".into(), |d| format!("{:.2} s", d.as_secs_f64()));
        let line = format!(
            "vm-boot {:<7} {:<8} kernel boot to verdict {} (guest clock; /init at {}), QEMU start to verdict {}, QEMU total {:.2} s [{:?}]\n",
            self.arch.name(),
            self.name,
            secs(self.kernel_to_verdict()),
            secs(self.transcript.init_started_ms.map(Duration::from_millis)),
            secs(self.to_verdict),
            self.qemu_total.as_secs_f64(),
            self.accel,
        );
        let _ = std::io::stderr().write_all(line.as_bytes());
    }

    /// A failure message: what went wrong, every step's result, and the
    /// guest's whole console.
    fn report(&self, what: &str) -> String {
        let mut s = format!("{what}\n");
        for (i, info) in self.info.iter().enumerate() {
            s += &self.step_report(i, info);
        }
        s += &format!("--- QEMU: {}\n", self.command_line);
        if !self.qemu_stderr.trim().is_empty() {
            s += &format!("--- QEMU stderr:\n{}\n", self.qemu_stderr.trim_end());
        }
        s += &format!(
            "--- guest console (also in {}):\n{}\n--- end of guest console",
            self.log_path.display(),
            self.console.trim_end()
        );
        s
    }

    fn step_report(&self, index: usize, info: &StepInfo) -> String {
        let r = &self.transcript.steps[index];
        let status = match (&r.status, r.started) {
            (Some(s), _) => s.to_string(),
            (None, true) => {
                "started, never finished (still running when the guest stopped?)".into()
            }
            (None, false) => "never started".into(),
        };
        let mut s = format!(
            "--- step {:?}: {} -> {status}\n",
            info.label, info.description
        );
        for (name, data) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
            if !data.is_empty() {
                s += &format!("    {name}:\n");
                for line in String::from_utf8_lossy(data).lines() {
                    s += &format!("    | {line}\n");
                }
            }
        }
        s
    }
}

/// What every boot needs before it starts, found or refused with one
/// line: the accelerator, the timeout, the kernel, QEMU and ns-tool.
pub(crate) struct Prepared {
    pub accel: qemu::Accel,
    pub timeout: Duration,
    pub kernel: PathBuf,
    pub ns_tool: Vec<u8>,
}

pub(crate) fn prepare(arch: Arch, timeout: Option<Duration>) -> Result<Prepared, String> {
    let accel = qemu::Accel::from_env()?;
    let timeout = match timeout {
        Some(t) => t,
        None => boot_timeout()?,
    };
    let kernel = kernel::locate(arch, &repo_root())?;
    qemu::find_qemu(arch)?;
    let ns_tool = read_guest_program(arch, &ns_tool_binary(arch)?)?;
    Ok(Prepared {
        accel,
        timeout,
        kernel,
        ns_tool,
    })
}

/// A machine a test suite plans and boots: [`Vm`] (vm-init runs the
/// steps) or [`bare::BareVm`] (the kernel starts ns-tool itself).
pub trait Machine: Sized {
    /// What a boot gives the tests to check.
    type Boot: Send + Sync;
    fn new(arch: Arch, name: &str) -> Self;
    fn boot(&self) -> Result<Self::Boot, String>;
}

impl Machine for Vm {
    type Boot = Boot;
    fn new(arch: Arch, name: &str) -> Vm {
        Vm::new(arch, name)
    }
    fn boot(&self) -> Result<Boot, String> {
        Vm::boot(self)
    }
}

/// A boot shared by several tests: the first test to ask boots it, the
/// others (running at the same time or later) wait for and reuse it. One
/// per architecture.
///
/// ```no_run
/// use ns_tool_vm::{Arch, SharedBoot, Vm};
/// static SHARED: SharedBoot = SharedBoot::new("shared", |vm: &mut Vm| {
///     vm.run("root", ["pid"]);
/// });
/// SHARED.get(Arch::X86_64).step("root").success();
/// ```
pub struct Shared<M: Machine> {
    name: &'static str,
    plan: fn(&mut M),
    boots: [OnceLock<Result<M::Boot, String>>; 2],
}

/// The boots most tests share: vm-init runs their steps.
pub type SharedBoot = Shared<Vm>;

impl<M: Machine> Shared<M> {
    pub const fn new(name: &'static str, plan: fn(&mut M)) -> Shared<M> {
        Shared {
            name,
            plan,
            boots: [OnceLock::new(), OnceLock::new()],
        }
    }

    /// The boot for `arch`; a boot that failed fails every test that uses
    /// it, with the same message.
    pub fn get(&self, arch: Arch) -> &M::Boot {
        let boot = self.boots[arch.index()].get_or_init(|| {
            let mut vm = M::new(arch, self.name);
            (self.plan)(&mut vm);
            vm.boot()
        });
        match boot {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_of_a_vm() {
        let mut vm = Vm::new(Arch::X86_64, "t");
        vm.run("a", ["pid"])
            .run_as("b", NOBODY, ["pid", "x"])
            .readlink("c", "/proc/1/ns/pid")
            .exec_as_init("d", ["pid"]);
        assert_eq!(vm.steps.len(), 4);
        assert_eq!(
            vm.steps[1],
            Step::Run {
                uid: 65534,
                gid: 65534,
                timeout_ms: 20_000,
                ignored: 0,
                argv: vec![b"/bin/ns-tool".to_vec(), b"pid".to_vec(), b"x".to_vec()]
            }
        );
        assert_eq!(
            vm.info[1].description,
            "`/bin/ns-tool pid x` as uid/gid 65534"
        );
        assert_eq!(vm.info[3].description, "`/bin/ns-tool pid` exec'd as PID 1");
    }

    #[test]
    #[should_panic(expected = "two steps labelled")]
    fn labels_are_unique() {
        Vm::new(Arch::X86_64, "t")
            .run("a", ["pid"])
            .run("a", ["pid"]);
    }

    #[test]
    #[should_panic(expected = "no step can follow exec_as_init")]
    fn exec_is_last() {
        Vm::new(Arch::X86_64, "t")
            .exec_as_init("a", ["pid"])
            .run("b", ["pid"]);
    }

    #[test]
    fn initramfs_has_init_console_and_extra_files() {
        let mut vm = Vm::new(Arch::Aarch64, "t");
        vm.file("/usr/lib/x/helper", 0o755, b"hi".to_vec());
        let plan = Plan {
            deadline_ms: 1,
            steps: vec![],
        };
        let a = vm.initramfs(b"INIT", b"NSTOOL", &plan);
        let text = String::from_utf8_lossy(&a);
        for name in [
            "dev/console\0",
            "init\0",
            "bin/ns-tool\0",
            "vm-plan\0",
            "usr\0",
            "usr/lib\0",
            "usr/lib/x\0",
            "usr/lib/x/helper\0",
            "TRAILER!!!\0",
        ] {
            assert!(text.contains(name), "{name:?} missing");
        }
        // Folders before their contents.
        assert!(text.find("usr/lib/x\0").unwrap() < text.find("usr/lib/x/helper\0").unwrap());
    }

    #[test]
    fn guest_programs_are_the_archs() {
        let dir = std::env::temp_dir().join(format!("ns-tool-vm-elf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
        elf.resize(64, 0);
        let p = dir.join("prog");
        elf[18] = 183;
        std::fs::write(&p, &elf).unwrap();
        assert!(read_guest_program(Arch::Aarch64, &p).is_ok());
        let e = read_guest_program(Arch::X86_64, &p).unwrap_err();
        assert!(e.ends_with("is an aarch64 program, not x86_64 (check NS_TOOL_BIN_X86_64 / NS_TOOL_VM_INIT_X86_64)"), "{e}");
        std::fs::write(&p, b"#!/bin/sh\n").unwrap();
        assert!(read_guest_program(Arch::X86_64, &p)
            .unwrap_err()
            .ends_with("not an ELF program"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_guest_programs_are_one_line() {
        let e = guest_program(
            "NS_TOOL_TEST_UNSET_VAR",
            "/no/ns-tool".into(),
            "run `cargo make build-static`",
        )
        .unwrap_err();
        assert_eq!(
            e,
            "/no/ns-tool not found: run `cargo make build-static` (or set NS_TOOL_TEST_UNSET_VAR)"
        );
    }
}
