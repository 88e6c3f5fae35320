//! Boots without vm-init: the kernel itself starts ns-tool as the machine's
//! PID 1 (`rdinit=/bin/ns-tool`), with init's arguments from the kernel's
//! command line, the way a real initramfs or a VM image would use
//! `ns-tool init`. There is no plan and no framed report: ns-tool and
//! COMMAND write straight to the console, and the checks look at the
//! console as a whole and at how QEMU ended.
//!
//! ```no_run
//! use ns_tool_vm::{bare::BareVm, Arch};
//!
//! let mut vm = BareVm::new(Arch::X86_64, "kernel-init");
//! vm.init_args(["init", "/bin/true"]);
//! let boot = vm.boot().unwrap_or_else(|e| panic!("{e}"));
//! boot.powered_off()
//!     .console_contains("ns-tool: COMMAND's exit status 0; powering off");
//! ```

use crate::{initramfs, qemu, Arch, NS_TOOL};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Duration;

/// What the kernel prints (pr_emerg, so even with `quiet`) just before it
/// switches the machine off: reboot(LINUX_REBOOT_CMD_POWER_OFF) worked.
pub const POWER_DOWN: &str = "reboot: Power down";
/// The kernel's panic when PID 1 exits.
pub const INIT_EXITED: &str = "Attempted to kill init!";
pub const KERNEL_PANIC: &str = "Kernel panic";

/// What `/dev/console` points to with [`BareVm::no_console`].
pub const NO_CONSOLE: &str = "/nonexistent-console";
/// The kernel's complaint when it could not open a console for init.
pub const NO_INITIAL_CONSOLE: &str = "Warning: unable to open an initial console.";

/// A VM whose PID 1 is ns-tool, started by the kernel.
pub struct BareVm {
    arch: Arch,
    name: String,
    args: Vec<String>,
    files: Vec<(String, u32, Vec<u8>)>,
    symlinks: Vec<(String, String)>,
    usual_layout: bool,
    no_console: bool,
    timeout: Option<Duration>,
}

impl BareVm {
    /// `name` names the boot in logs and messages. By default the
    /// initramfs holds only `/bin/ns-tool`: no `/proc` or `/sys` to mount
    /// on; `/dev` and `/dev/console` come from the kernel's built-in
    /// initramfs.
    pub fn new(arch: Arch, name: &str) -> BareVm {
        BareVm {
            arch,
            name: name.to_string(),
            args: Vec::new(),
            files: Vec::new(),
            symlinks: Vec::new(),
            usual_layout: false,
            no_console: false,
            timeout: None,
        }
    }

    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// ns-tool's arguments (argv[1..]), e.g. `["init", "/check", "7"]`,
    /// passed after `--` on the kernel's command line
    /// ([`qemu::init_args`] says what can get through).
    pub fn init_args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.args = args.into_iter().map(|a| a.as_ref().to_string()).collect();
        self
    }

    /// An extra file in the initramfs; parent folders are made as needed.
    pub fn file(&mut self, path: &str, mode: u32, data: Vec<u8>) -> &mut Self {
        self.files.push((path.to_string(), mode, data));
        self
    }

    /// A symbolic link in the initramfs, e.g. `("/bin/sh", "busybox")`.
    pub fn symlink(&mut self, path: &str, target: &str) -> &mut Self {
        self.symlinks.push((path.to_string(), target.to_string()));
        self
    }

    /// The layout most initramfs images have: `/dev/console` (the kernel
    /// then opens it as init's fds 0-2) and empty `/proc`, `/sys` and
    /// `/dev` to mount on.
    pub fn usual_layout(&mut self) -> &mut Self {
        self.usual_layout = true;
        self
    }

    /// Leave init without a console: no standard descriptors at all.
    /// The initramfs alone cannot do that, since the kernel unpacks it over
    /// its built-in one, which has `/dev/console` (usr/default_cpio_list);
    /// but an entry of another type replaces a node, so `/dev/console`
    /// becomes a dangling symbolic link: the kernel cannot open it ("Warning:
    /// unable to open an initial console.") and starts init with fds 0, 1
    /// and 2 closed.
    pub fn no_console(&mut self) -> &mut Self {
        self.no_console = true;
        self
    }

    /// The boot's wall-clock limit (default: [`crate::boot_timeout`]).
    pub fn timeout(&mut self, t: Duration) -> &mut Self {
        self.timeout = Some(t);
        self
    }

    fn initramfs(&self, ns_tool: &[u8]) -> Vec<u8> {
        let mut c = initramfs::Cpio::new();
        let mut dirs = vec!["bin".to_string()];
        if self.usual_layout {
            dirs.extend(["dev", "proc", "sys"].map(String::from));
        }
        if self.no_console {
            dirs.push("dev".into());
        }
        let paths = self.files.iter().map(|(p, _, _)| p);
        for path in paths.chain(self.symlinks.iter().map(|(p, _)| p)) {
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
        if self.no_console {
            c.symlink("dev/console", NO_CONSOLE);
        } else if self.usual_layout {
            c.char_dev("dev/console", 0o600, 5, 1);
        }
        c.file(NS_TOOL, 0o755, ns_tool);
        for (path, mode, data) in &self.files {
            c.file(path, *mode, data);
        }
        for (path, target) in &self.symlinks {
            c.symlink(path, target);
        }
        c.finish()
    }

    /// Boot and wait for QEMU to end. `Err` only when there was nothing to
    /// boot with (no kernel, QEMU or ns-tool, arguments the kernel cannot
    /// pass); a guest that hangs or panics is a [`BareBoot`] to check.
    pub fn boot(&self) -> Result<BareBoot, String> {
        let arch = self.arch;
        let crate::Prepared {
            accel,
            timeout,
            kernel,
            ns_tool,
        } = crate::prepare(arch, self.timeout)?;

        let dir = crate::log_dir();
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let stem = format!("{}-{}", self.name, arch.name());
        let initrd = dir.join(format!("{stem}.initramfs"));
        std::fs::write(&initrd, self.initramfs(&ns_tool))
            .map_err(|e| format!("{}: {e}", initrd.display()))?;

        let run = qemu::run(&qemu::Machine {
            arch,
            kernel: &kernel,
            initrd: &initrd,
            rdinit: NS_TOOL,
            init_args: &self.args,
            accel,
            timeout,
        })?;
        let log_path = dir.join(format!("{stem}.log"));
        let _ = std::fs::write(&log_path, &run.console);
        let _ = std::fs::write(dir.join(format!("{stem}.cmd")), &run.command_line);

        let console = String::from_utf8_lossy(&run.console).replace('\r', "");
        // The power-off line: its guest time, and when it reached the host.
        let (power_off_ms, to_power_off) = match run
            .console
            .windows(POWER_DOWN.len())
            .position(|w| w == POWER_DOWN.as_bytes())
        {
            Some(at) => {
                let line_start = run.console[..at]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
                let line = String::from_utf8_lossy(&run.console[line_start..at]);
                (
                    crate::protocol::kernel_timestamp(&format!("{line}x")),
                    run.arrival_of(at),
                )
            }
            None => (None, None),
        };
        let boot = BareBoot {
            arch,
            name: self.name.clone(),
            description: format!("rdinit={NS_TOOL} -- {}", qemu::init_args(&self.args)?),
            console,
            status: run.status,
            timeout,
            qemu_total: run.elapsed,
            power_off_ms,
            to_power_off,
            log_path,
            command_line: run.command_line,
            qemu_stderr: run.qemu_stderr,
            accel,
        };
        boot.print_timing();
        Ok(boot)
    }
}

/// A finished boot of a [`BareVm`]: the console and how QEMU ended.
pub struct BareBoot {
    arch: Arch,
    name: String,
    description: String,
    /// The serial console, \r removed.
    console: String,
    /// QEMU's exit status; `None` when it was killed at the timeout.
    status: Option<ExitStatus>,
    timeout: Duration,
    qemu_total: Duration,
    /// Guest time of the kernel's "reboot: Power down" line.
    power_off_ms: Option<u64>,
    /// Host time from QEMU's start to that line.
    to_power_off: Option<Duration>,
    log_path: PathBuf,
    command_line: String,
    qemu_stderr: String,
    accel: qemu::Accel,
}

impl BareBoot {
    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// Everything on the console.
    pub fn console(&self) -> &str {
        &self.console
    }

    /// The console without the kernel's own messages: what user space
    /// (ns-tool, COMMAND) printed, line by line.
    pub fn user_output(&self) -> String {
        let mut s = String::new();
        for line in self.console.lines() {
            if crate::protocol::kernel_timestamp(line).is_none() {
                s += line;
                s.push('\n');
            }
        }
        s
    }

    /// Guest time from the kernel's start to "reboot: Power down".
    pub fn kernel_to_power_off(&self) -> Option<Duration> {
        self.power_off_ms.map(Duration::from_millis)
    }

    /// Host time from QEMU's start to "reboot: Power down".
    pub fn qemu_to_power_off(&self) -> Option<Duration> {
        self.to_power_off
    }

    /// Fail the test: `what` was expected.
    pub fn fail(&self, what: &str) -> ! {
        let status = match self.status {
            Some(s) => format!("QEMU exited by itself ({s})"),
            None => format!("QEMU was killed at the timeout ({:.0?})", self.timeout),
        };
        let mut s = format!(
            "{} VM {:?} ({}): expected {what}\n--- {status}\n--- QEMU: {}\n",
            self.arch.name(),
            self.name,
            self.description,
            self.command_line
        );
        if !self.qemu_stderr.trim().is_empty() {
            s += &format!("--- QEMU stderr:\n{}\n", self.qemu_stderr.trim_end());
        }
        s += &format!(
            "--- guest console (also in {}):\n{}\n--- end of guest console",
            self.log_path.display(),
            self.console.trim_end()
        );
        panic!("{s}")
    }

    /// A check of your own: fail with "expected `what`" unless `ok`.
    pub fn check(&self, what: &str, ok: bool) -> &Self {
        if !ok {
            self.fail(what);
        }
        self
    }

    /// The machine powered itself off: QEMU ended by itself (not at the
    /// timeout) after the kernel's "reboot: Power down", and the kernel did
    /// not panic (PID 1 exiting panics it, and with `panic=-1` and
    /// `-no-reboot` that too ends QEMU by itself).
    pub fn powered_off(&self) -> &Self {
        self.check(
            "QEMU to end by itself, not be killed at the timeout",
            self.status.is_some(),
        )
        .console_lacks(INIT_EXITED)
        .console_lacks(KERNEL_PANIC)
        .console_contains(POWER_DOWN)
        .check(
            &format!("QEMU to exit with status 0, got {:?}", self.status),
            self.status.is_some_and(|s| s.success()),
        )
    }

    pub fn console_contains(&self, want: &str) -> &Self {
        self.check(
            &format!("the console to contain {want:?}"),
            self.console.contains(want),
        )
    }

    pub fn console_lacks(&self, unwanted: &str) -> &Self {
        self.check(
            &format!("the console not to contain {unwanted:?}"),
            !self.console.contains(unwanted),
        )
    }

    /// What user space printed, exactly (kernel messages left out).
    pub fn user_output_eq(&self, want: &str) -> &Self {
        let got = self.user_output();
        if got == want {
            return self;
        }
        let first = want
            .lines()
            .zip(got.lines())
            .position(|(w, g)| w != g)
            .unwrap_or(want.lines().count().min(got.lines().count()));
        self.fail(&format!(
            "user space to print exactly:\n{want}--- it printed:\n{got}--- first difference in \
             line {}: expected {:?}, got {:?}",
            first + 1,
            want.lines().nth(first),
            got.lines().nth(first)
        ))
    }

    /// One line on stderr per boot, past libtest's capture, as
    /// [`crate::Boot`] prints.
    fn print_timing(&self) {
        let secs =
            |d: Option<Duration>| d.map_or("?".into(), |d| format!("{:.2} s", d.as_secs_f64()));
        let line = format!(
            "vm-boot {:<7} {:<8} kernel boot to power-off {} (guest clock), QEMU start to power-off {}, QEMU total {:.2} s [{:?}]\n",
            self.arch.name(),
            self.name,
            secs(self.kernel_to_power_off()),
            secs(self.to_power_off),
            self.qemu_total.as_secs_f64(),
            self.accel,
        );
        let _ = std::io::stderr().write_all(line.as_bytes());
    }
}

impl crate::Machine for BareVm {
    type Boot = BareBoot;
    fn new(arch: Arch, name: &str) -> BareVm {
        BareVm::new(arch, name)
    }
    fn boot(&self) -> Result<BareBoot, String> {
        BareVm::boot(self)
    }
}

/// A [`BareVm`] boot shared by the tests that check it, one per
/// architecture, as [`crate::SharedBoot`].
pub type SharedBareBoot = crate::Shared<BareVm>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_and_usual_initramfs() {
        let mut vm = BareVm::new(Arch::X86_64, "t");
        vm.file("/etc/x/check", 0o755, b"#!/bin/sh\n".to_vec())
            .symlink("/bin/sh", "busybox");
        let a = String::from_utf8_lossy(&vm.initramfs(b"NSTOOL")).into_owned();
        for name in [
            "bin\0",
            "bin/ns-tool\0",
            "etc\0",
            "etc/x/check\0",
            "bin/sh\0",
        ] {
            assert!(a.contains(name), "{name:?} missing");
        }
        for name in ["dev\0", "dev/console\0", "proc\0", "sys\0", "init\0"] {
            assert!(!a.contains(name), "{name:?} present");
        }
        vm.usual_layout();
        let a = String::from_utf8_lossy(&vm.initramfs(b"NSTOOL")).into_owned();
        for name in ["dev\0", "dev/console\0", "proc\0", "sys\0"] {
            assert!(a.contains(name), "{name:?} missing");
        }
        assert!(a.find("dev\0").unwrap() < a.find("dev/console\0").unwrap());
        vm.no_console();
        let a = String::from_utf8_lossy(&vm.initramfs(b"NSTOOL")).into_owned();
        assert!(a.contains("dev/console\0\0\0/nonexistent-console"), "{a:?}");
    }
}
