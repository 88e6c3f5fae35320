//! ns-tool in real Linux VMs (QEMU), on x86_64 and aarch64.
//!
//! These tests boot virtual machines, so plain `cargo test` does not run
//! them: they are `#[ignore]`d, and `cargo make test-vm` runs them
//! explicitly (`--ignored`), after building ns-tool, the guest's /init and
//! fetching kernels. Asked to run without a kernel or QEMU, they fail with
//! one line on what to install; they never pass by skipping.
//!
//! Each boot serves several scenarios: the scenarios that can share a boot
//! add their steps to `SHARED`, and each test checks its own steps. The
//! `kernel-init*` boots have no /init and no steps: the kernel starts
//! `ns-tool init` itself (`SharedBareBoot`), and their tests check the
//! console and the power-off. See docs/testing.md, "Adding a scenario".

use ns_tool_vm::bare::{BareVm, SharedBareBoot};
use ns_tool_vm::{Arch, Assert, Boot, SharedBoot, Vm, NOBODY};

/// The boot most scenarios share: ns-tool run by /init, as root and as
/// nobody, and /init's own PID namespace; setuid-root and setgid-root
/// copies of ns-tool run by nobody (and the setuid one by root).
static SHARED: SharedBoot = SharedBoot::new("shared", |vm: &mut Vm| {
    vm.run("pid as root", ["pid"])
        .run_as("pid as nobody", NOBODY, ["pid"])
        .readlink("init pid ns", "/proc/1/ns/pid");
    // Without the binary the boot fails anyway, saying what to build.
    if let Ok(ns_tool) = ns_tool_vm::ns_tool_binary(vm.arch())
        .and_then(|p| std::fs::read(&p).map_err(|e| e.to_string()))
    {
        vm.file(SETUID_COPY, 0o4755, ns_tool.clone())
            .file(SETGID_COPY, 0o2755, ns_tool)
            .command_as("setuid as nobody", NOBODY, [SETUID_COPY, "--trace", "pid"])
            .command_as("setgid as nobody", NOBODY, [SETGID_COPY, "pid"])
            .command_as("setuid as root", 0, [SETUID_COPY, "pid"]);
    }
});

/// Copies of ns-tool owned by root (the initramfs's files all are) with
/// the set-user-ID and the set-group-ID bit.
const SETUID_COPY: &str = "/bin/ns-tool-setuid";
const SETGID_COPY: &str = "/bin/ns-tool-setgid";

/// The boot where ns-tool is the machine's PID 1: /init mounts /proc and
/// /dev, notes its PID namespace, then exec's `ns-tool pid`, which keeps
/// PID 1. Its exit ends the boot.
static AS_INIT: SharedBoot = SharedBoot::new("as-init", |vm: &mut Vm| {
    vm.readlink("init pid ns", "/proc/1/ns/pid")
        .exec_as_init("ns-tool as init", ["pid"]);
});

/// The boot for `pid -- COMMAND` and friends: Debian's static busybox
/// gives the guest a shell and the usual tools (`busybox --install`), and
/// each step runs ns-tool on them. Signals and SIGKILL are sent by a
/// busybox shell inside the guest.
static COMMANDS: SharedBoot = SharedBoot::new("commands", |vm: &mut Vm| {
    with_busybox_installed(vm)
        .run(
            "echo pid",
            ["pid", "--", "sh", "-c", "echo $$; echo ppid=$PPID"],
        )
        .run("exit 7", ["pid", "--", "sh", "-c", "exit 7"])
        .run("killed", ["pid", "--init", "--", "sh", "-c", "kill -9 $$"])
        .run("not found", ["pid", "--", "ns-tool-no-such-command"])
        .command_as("mounts before", 0, ["cat", "/proc/self/mountinfo"])
        .run("mount-proc", ["pid", "--mount-proc", "--", "ls", "/proc"])
        .command_as("mounts after", 0, ["cat", "/proc/self/mountinfo"])
        .run(
            "init reaps orphans",
            [
                "pid",
                "--init",
                "--mount-proc",
                "--",
                "sh",
                "-c",
                "sh -c 'sleep 0.1 &'; sleep 0.6; cat /proc/[0-9]*/stat",
            ],
        )
        .command_as(
            "signal forwarded",
            0,
            [
                "sh",
                "-c",
                "ns-tool pid --init -- sh -c 'trap \"echo got TERM; exit 3\" TERM; \
                 while :; do sleep 0.05; done' & p=$!; sleep 1; kill -TERM $p; wait $p; \
                 echo status=$?",
            ],
        )
        .command_as(
            "sigkill teardown",
            0,
            [
                "sh",
                "-c",
                &format!(
                    "{COUNT_SLEEPS} ns-tool pid -- sh -c 'sleep 300 & sleep 300' & p=$!; \
                     sleep 1; echo before=$(count 300); kill -9 $p; sleep 0.5; \
                     echo after=$(count 300)"
                ),
            ],
        )
        .run(
            "pid 1 dies",
            ["pid", "--", "sh", "-c", "sleep 301 & exit 5"],
        )
        .command_as(
            "after pid 1 died",
            0,
            ["sh", "-c", &format!("{COUNT_SLEEPS} sleep 0.3; count 301")],
        )
        .run_as(
            "user as nobody",
            NOBODY,
            ["pid", "--user", "--", "sh", "-c", "echo $$; id -u"],
        )
        .run("nest 3", ["pid", "--nest", "3"])
        .run("nest 33", ["pid", "--nest", "33"])
        .run("trace", ["--trace", "pid"])
        .file("/subreaper", 0o755, SUBREAPER.as_bytes().to_vec())
        .command_as(
            "init as subreaper",
            0,
            ["/bin/ns-tool", "init", "/subreaper"],
        )
        .command_as("mounts before init", 0, ["cat", "/proc/self/mountinfo"])
        .run(
            "init in a pid namespace",
            [
                "pid",
                "--",
                "/bin/ns-tool",
                "init",
                "--",
                "sh",
                "-c",
                "echo pid=$$ ppid=$PPID; exit 7",
            ],
        )
        .command_as(
            "unshare -pf init",
            0,
            [
                "unshare",
                "-p",
                "-f",
                "/bin/ns-tool",
                "init",
                "--",
                "sh",
                "-c",
                "echo pid=$$ ppid=$PPID; exit 9",
            ],
        )
        .command_as("mounts after init", 0, ["cat", "/proc/self/mountinfo"])
        .command_as(
            "no /sys after init",
            0,
            ["sh", "-c", "[ -e /sys ]; echo sys=$?"],
        )
        .run(
            "init reaps in a pid namespace",
            [
                "pid",
                "--mount-proc",
                "--",
                "/bin/ns-tool",
                "init",
                "--",
                "sh",
                "-c",
                "sh -c 'sleep 0.1 &'; sleep 0.6; cat /proc/[0-9]*/stat",
            ],
        )
        .command_as(
            "term to a namespace's init",
            0,
            [
                "sh",
                "-c",
                &format!(
                    "{CHILD_OF} ns-tool pid -- /bin/ns-tool init -- sh -c '{TERM_COUNTER}' & \
                     p=$!; sleep 1; i=$(child_of $p); echo init=$(cat /proc/$i/comm); \
                     kill -TERM $i; sleep 0.3; kill -USR2 $i; wait $p; echo status=$?"
                ),
            ],
        );
});

/// COMMAND of `ns-tool init` where it is not PID 1: an orphaned `cat`,
/// blocked on a FIFO, comes to ns-tool, the subreaper (not to /init), and
/// is reaped when the FIFO lets it end. Lists ns-tool's children with
/// their state, during and after.
const SUBREAPER: &str = r#"#!/bin/sh
kids() { cat /proc/[0-9]*/stat 2>/dev/null | while read -r pid comm state ppid rest; do
  [ "$ppid" = "$PPID" ] && echo "$comm $state"; done | sort; }
mkfifo /tmp/subreaper
sh -c 'cat /tmp/subreaper >/dev/null &'
sleep 0.2
echo "during:" $(kids)
echo bye >/tmp/subreaper
sleep 0.5
echo "after:" $(kids)
"#;

/// A shell function for the guest: `child_of P` prints the PIDs whose
/// parent is P (busybox has no pgrep), from /proc/*/stat.
/// (Processes may end between the glob and the read: cat's complaint is
/// dropped.)
const CHILD_OF: &str = "child_of() { cat /proc/[0-9]*/stat 2>/dev/null | \
                        while read -r pid comm state ppid rest; do \
                        [ \"$ppid\" = \"$1\" ] && echo $pid; done; };";

/// A COMMAND that says "got TERM" for each SIGTERM and ends, status 5, at
/// SIGUSR2.
const TERM_COUNTER: &str =
    "trap \"echo got TERM\" TERM; trap \"echo bye; exit 5\" USR2; while :; do sleep 0.05; done";

/// The boot for the signal rules (docs/signals.md), by `kill` from a
/// busybox shell in the guest: each signal reaches COMMAND once, a
/// SIGHUP-reloading service survives, the escalation for a PID 1 without
/// handler, ignored signals, an inherited SIGCHLD ignore, and a script
/// without `#!`.
static SIGNALS: SharedBoot = SharedBoot::new("signals", |vm: &mut Vm| {
    let busybox = busybox(vm.arch());
    vm.file("/bin/busybox", 0o755, busybox)
        .file(
            "/noshebang",
            0o755,
            b"echo \"ran $0 $*\"; exit 4\n".to_vec(),
        )
        .command_as(
            "install busybox",
            0,
            ["/bin/busybox", "--install", "-s", "/bin"],
        );
    for (label, mode) in [("once", ""), ("once init", "--init")] {
        vm.command_as(
            label,
            0,
            [
                "sh",
                "-c",
                &format!(
                    "ns-tool pid {mode} -- sh -c '{COUNTER}' & p=$!; sleep 1; \
                     for s in TERM HUP HUP USR1; do kill -$s $p; sleep 0.3; done; \
                     kill -USR2 $p; wait $p; echo status=$?"
                ),
            ],
        );
    }
    vm.command_as(
        "escalate",
        0,
        [
            "sh",
            "-c",
            "ns-tool pid -- sleep 300 & p=$!; sleep 1; kill -TERM $p; sleep 0.3; \
             kill -TERM $p; wait $p; echo status=$?",
        ],
    )
    .command_as(
        "ignored",
        0,
        [
            "sh",
            "-c",
            "trap '' INT HUP; ns-tool pid -- sh -c 'echo ready; sleep 1; echo done' & p=$!; \
             sleep 0.5; kill -INT $p; kill -HUP $p; sleep 0.2; kill -INT $p; wait $p; \
             echo status=$?",
        ],
    )
    // (busybox sh's `trap '' CHLD` does not ignore it: /init does.)
    .command_as(
        "sigchld ignored",
        0,
        [
            "/bin/ns-tool",
            "pid",
            "--init",
            "--",
            "grep",
            "SigIgn",
            "/proc/self/status",
        ],
    )
    .ignoring(&[linux_raw_sys::general::SIGCHLD])
    .run("no shebang", ["pid", "--", "/noshebang", "a", "b"]);
});

/// The boot for `clone` and `proc`: the demonstration and a COMMAND as
/// root and, with `--user`, as nobody; `--trace` with this arch's numbers;
/// the fallback to clone(2) under a seccomp filter that answers clone3
/// with ENOSYS (`/init --enosys`, qemu/vm-init); `proc` alone and against
/// a process in a new PID namespace.
static CLONE: SharedBoot = SharedBoot::new("clone", |vm: &mut Vm| {
    with_busybox_installed(vm)
        .readlink("init pid ns", "/proc/1/ns/pid")
        .run("clone", ["clone"])
        .run(
            "clone echo",
            ["clone", "--", "sh", "-c", "echo PID=$$ PPID=$PPID"],
        )
        .run_as(
            "clone user as nobody",
            NOBODY,
            ["clone", "--user", "--", "sh", "-c", "echo $$; id -u"],
        )
        .run_as("clone as nobody", NOBODY, ["clone", "--", "true"])
        .run(
            "clone trace",
            ["--trace", "clone", "--", "sh", "-c", "exit 3"],
        )
        .run("pid trace", ["--trace", "pid", "--", "sh", "-c", "exit 3"])
        .command_as(
            "clone enosys",
            0,
            [
                "/init",
                "--enosys",
                "435",
                "--",
                "/bin/ns-tool",
                "--trace",
                "clone",
                "--",
                "sh",
                "-c",
                "echo PID=$$",
            ],
        )
        .run("proc", ["proc"])
        .run(
            "proc in a pid namespace",
            ["pid", "--", "/bin/ns-tool", "proc", "--compare", "1"],
        )
        .run("proc missing", ["proc", "--pid", "4194304"]);
});

/// The boot where /init exec's `ns-tool clone`: the machine's PID 1 makes
/// the new namespace and its first process with one clone3 call.
static CLONE_AS_INIT: SharedBoot = SharedBoot::new("clone-as-init", |vm: &mut Vm| {
    vm.readlink("init pid ns", "/proc/1/ns/pid")
        .exec_as_init("clone as init", ["clone"]);
});

/// The boot for `mount`: the demonstration as root and, with `--user`, as
/// nobody; a COMMAND that greps its own mount table; a missing --target;
/// nobody without a user namespace; `--trace` with this arch's numbers;
/// the guest's mount table afterwards.
static MOUNT: SharedBoot = SharedBoot::new("mount", |vm: &mut Vm| {
    with_busybox_installed(vm)
        .command_as("mkdir /mnt", 0, ["/bin/mkdir", "-p", "/mnt"])
        .command_as("table before", 0, ["/bin/cat", "/proc/self/mountinfo"])
        .run("mount", ["mount"])
        .run(
            "mount grep",
            [
                "mount",
                "--",
                "sh",
                "-c",
                "grep ' /mnt ' /proc/self/mountinfo",
            ],
        )
        .run("mount missing", ["mount", "--target", "/nosuch"])
        .run_as("mount user as nobody", NOBODY, ["mount", "--user"])
        .run_as("mount as nobody", NOBODY, ["mount", "--", "true"])
        .run("mount trace", ["--trace", "mount"])
        .command_as("table after", 0, ["/bin/cat", "/proc/self/mountinfo"]);
});

/// The boot for `uts`: the guest's own names, the demonstration, names
/// given to COMMAND, `--user` as nobody, the trace; the names again after.
static UTS: SharedBoot = SharedBoot::new("uts", |vm: &mut Vm| {
    with_busybox_installed(vm)
        .command_as("names before", 0, ["cat", "/proc/sys/kernel/hostname"])
        .run("uts", ["uts"])
        .run(
            "uts names",
            [
                "uts",
                "--hostname",
                "box",
                "--domainname=lan",
                "--",
                "sh",
                "-c",
                "hostname; cat /proc/sys/kernel/domainname",
            ],
        )
        .run_as(
            "uts user as nobody",
            NOBODY,
            [
                "uts",
                "--user",
                "--pid",
                "--",
                "sh",
                "-c",
                "echo $$; hostname",
            ],
        )
        .run("uts trace", ["--trace", "uts", "--", "true"])
        .command_as("names after", 0, ["cat", "/proc/sys/kernel/hostname"]);
});

/// The kernel starts `ns-tool uts sh -c ...` itself as the machine's PID
/// 1 (no /init): a namespace subcommand as a VM's init, which mounts what
/// is missing, runs COMMAND in the new UTS namespace, and powers off.
static UTS_KERNEL_INIT: SharedBareBoot =
    SharedBareBoot::new("uts-kernel-init", |vm: &mut BareVm| {
        with_busybox(vm).usual_layout().init_args([
            "uts",
            "--hostname",
            "guest",
            "sh",
            "-c",
            "echo ppid=$PPID host=$(uname -n); exit 4",
        ]);
    });

/// A counting COMMAND for the guest: "got SIG" for each signal it
/// handles, "bye" and exit 0 on SIGUSR2.
const COUNTER: &str = "for s in HUP INT TERM USR1; do trap \"echo got $s\" $s; done; \
                       trap \"echo bye; exit 0\" USR2; while :; do sleep 0.05; done";

/// A shell function for the guest: `count N` prints how many `sleep N`
/// processes are alive (busybox has no pgrep); like grep -c, it exits 1
/// when there are none.
const COUNT_SLEEPS: &str = "count() { for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' <$f; echo; \
                            done | grep -c \"^sleep $1 \"; };";

/// The boot where the kernel itself starts ns-tool as the machine's PID 1:
/// `rdinit=/bin/ns-tool -- init /check 7` on its command line, no vm-init,
/// and an initramfs with nothing to mount on (no /proc or /sys; /dev only
/// from the kernel's built-in initramfs) and no console the kernel can
/// open, so that init starts without fds 0-2. /check reports what ns-tool
/// set up and exits 7.
static KERNEL_INIT: SharedBareBoot = SharedBareBoot::new("kernel-init", |vm: &mut BareVm| {
    with_busybox(vm)
        .no_console()
        .file("/check", 0o755, CHECK.as_bytes().to_vec());
    vm.init_args(["init", "/check", "7"]);
});

/// COMMAND for `KERNEL_INIT`: its arguments, init's argv, its own PID and
/// parent, the three mounts, fds 0-2; exits with its first argument.
const CHECK: &str = r#"#!/bin/sh
PATH=/bin
echo "check: args $*, on $(uname -m)"
echo "check: init's argv $(tr '\0' ' ' </proc/1/cmdline)"
[ $$ != 1 ] && echo "check: not PID 1; parent $PPID"
[ -e /sys/kernel ] && echo "check: /sys/kernel exists"
[ -c /dev/null ] && echo "check: /dev/null is a character device"
for fd in 0 1 2; do echo "check: fd $fd is $(readlink /proc/$$/fd/$fd)"; done
while read -r dev dir type opts rest; do
  case $dir in /proc|/sys|/dev)
    echo "check: $type on $dir," $(echo $opts | tr , '\n' | grep -E '^no(suid|dev|exec)$');;
  esac
done </proc/mounts
exit "$1"
"#;

/// The kernel starts ns-tool as init with `sh -c "..."` (a quoted word on
/// the kernel's command line; `sh` found without PATH, which the kernel
/// does not set): a grandchild sends SIGTERM to PID 1, which passes it on
/// to COMMAND, which has no handler: killed, 143.
static KERNEL_INIT_SIGNAL: SharedBareBoot =
    SharedBareBoot::new("kernel-init-signal", |vm: &mut BareVm| {
        with_busybox(vm).usual_layout().init_args([
            "init",
            "sh",
            "-c",
            "echo sh: asking PID 1 to stop; sh -c 'kill -TERM 1'; sleep 10; echo sh: still here",
        ]);
    });

/// The kernel starts ns-tool as init with a COMMAND that does not exist:
/// the exec fails (127), and the machine still powers off.
static KERNEL_INIT_MISSING: SharedBareBoot =
    SharedBareBoot::new("kernel-init-missing", |vm: &mut BareVm| {
        vm.usual_layout()
            .init_args(["--trace", "init", "/no/such/command", "x"]);
    });

/// The kernel starts ns-tool with a command line it cannot run: `init`
/// alone, which is what `rdinit=/bin/ns-tool -- init -- COMMAND` arrives
/// as (the kernel drops a second `--` and what follows).
static KERNEL_INIT_USAGE: SharedBareBoot =
    SharedBareBoot::new("kernel-init-usage", |vm: &mut BareVm| {
        vm.usual_layout().init_args(["init"]);
    });

/// Debian's static busybox in the guest, and its applets linked into
/// /bin by /init's first step, "install busybox".
fn with_busybox_installed(vm: &mut Vm) -> &mut Vm {
    let busybox = busybox(vm.arch());
    vm.file("/bin/busybox", 0o755, busybox).command_as(
        "install busybox",
        0,
        ["/bin/busybox", "--install", "-s", "/bin"],
    )
}

/// busybox in the initramfs of a kernel-started ns-tool, with the links
/// its scripts use (no /init runs `busybox --install` there).
fn with_busybox(vm: &mut BareVm) -> &mut BareVm {
    vm.file("/bin/busybox", 0o755, busybox(vm.arch()));
    for applet in ["sh", "tr", "grep", "readlink", "sleep", "uname"] {
        vm.symlink(&format!("/bin/{applet}"), "busybox");
    }
    vm
}

/// Debian's static busybox for `arch` (`cargo make fetch-busybox`), or the
/// one NS_TOOL_VM_BUSYBOX_<ARCH> names.
fn busybox(arch: Arch) -> Vec<u8> {
    let path = std::env::var_os(format!("NS_TOOL_VM_BUSYBOX_{}", arch.env_suffix()))
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            ns_tool_vm::repo_root().join(format!("qemu/.cache/busybox/{}/busybox", arch.name()))
        });
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: run `cargo make fetch-busybox` (cargo make test-vm does)",
            path.display()
        )
    })
}

/// Two tests per scenario function, one per architecture:
/// `<scenario>::x86_64` and `<scenario>::aarch64`.
macro_rules! on_both_arches {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            use super::*;
            #[test]
            #[ignore = "boots QEMU: run with cargo make test-vm"]
            fn x86_64() {
                super::$scenario(Arch::X86_64)
            }
            #[test]
            #[ignore = "boots QEMU: run with cargo make test-vm"]
            fn aarch64() {
                super::$scenario(Arch::Aarch64)
            }
        }
    )*};
}

on_both_arches!(
    pid_as_root,
    pid_as_nobody,
    namespace_inodes,
    pid_as_machine_init,
    command_is_pid_1,
    exit_statuses,
    mount_proc,
    init_reaps_orphans,
    signals_are_forwarded,
    sigkill_leaves_nothing,
    pid_1_death_ends_the_namespace,
    user_namespace_as_nobody,
    nesting,
    trace_numbers_are_the_archs,
    privileged_copies_refuse,
    each_signal_once,
    escalation_only_for_a_dropped_signal,
    ignored_signals_stay_ignored,
    sigchld_ignored_does_not_hang,
    script_without_shebang,
    init_in_a_pid_namespace,
    init_reaps_in_a_pid_namespace,
    init_forwards_term_once,
    init_as_subreaper,
    kernel_starts_init,
    kernel_init_mounts,
    kernel_init_signalled_command,
    kernel_init_missing_command,
    kernel_init_trace_is_the_archs,
    kernel_init_usage_error_powers_off,
    clone_shows_pid_1_from_both_sides,
    clone_runs_command_as_pid_1,
    clone_trace_is_one_call_and_a_pidfd_wait,
    clone_falls_back_to_clone_on_enosys,
    clone_as_machine_init,
    proc_lists_and_compares_namespaces,
    uts_names_change_inside_only,
    uts_as_machine_init,
    user_as_nobody_is_root_inside_only,
    user_command_runs_mapped,
    user_trace_is_the_archs,
    ipc_counts_from_both_sides,
    ipc_command_and_trace,
    mount_shows_the_tmpfs_inside_only,
    mount_runs_command_and_reports_errors,
    mount_trace_is_the_archs,
    cgroup_shows_root_inside,
    cgroup_in_a_sub_cgroup,
    cgroup_as_nobody,
    time_shifts_both_clocks,
    time_command_sees_uptime_ahead,
    time_trace_is_the_archs,
    time_errors,
    net_only_lo_inside_and_up,
    net_command_user_and_trace,
);

/// What `ns-tool pid` prints when it succeeds, as root: `child` is the
/// child's PID in the parent's namespace, `parent_ns` and `child_ns` the
/// two `pid:[inode]` names.
fn pid_contract(child: &str, parent_ns: &str, child_ns: &str) -> String {
    format!(
        "Creating new PID namespace...
PID namespace created. Forking child process...
Parent: spawned child with PID {child} (in parent namespace)
Parent: PID namespace: {parent_ns}
Parent: PID namespace for children: {child_ns}

=== Inside PID Namespace ===
PID inside namespace: 1
Parent PID inside namespace: 0
Success! We are PID 1 in the new namespace
PID namespace: {child_ns}
NSpid:\t{child}\t1

You can verify isolation by checking /proc:
  - /proc/self/status | grep NSpid
  - ls /proc (shows only processes in this namespace)
===========================

Parent: child {child} exited with status 0
"
    )
}

/// The values `ns-tool pid` reported.
struct PidReport {
    child: u32,
    parent_ns: String,
    child_ns: String,
}

/// Check a successful `ns-tool pid` against the whole output contract and
/// return the values in it.
fn check_pid_output(step: Assert) -> PidReport {
    let step = step
        .success()
        .stdout_contains("\nPID inside namespace: 1\n")
        .stdout_contains("\nParent PID inside namespace: 0\n");
    let child = step.stdout_field("Parent: spawned child with PID ");
    let child = child
        .strip_suffix(" (in parent namespace)")
        .and_then(|c| c.parse::<u32>().ok())
        .unwrap_or_else(|| step.fail("a numeric child PID in the \"spawned child\" line"));
    let ns = |prefix: &str| {
        let v = step.stdout_field(prefix);
        let ok = v
            .strip_prefix("pid:[")
            .and_then(|v| v.strip_suffix(']'))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            step.fail(&format!("{prefix:?} followed by pid:[<inode>]"));
        }
        v
    };
    let parent_ns = ns("Parent: PID namespace: ");
    let child_ns = ns("Parent: PID namespace for children: ");
    let step = step.stdout_eq(&pid_contract(&child.to_string(), &parent_ns, &child_ns));
    step.check(
        "a child PID other than 1 in the parent's namespace",
        child != 1,
    );
    PidReport {
        child,
        parent_ns,
        child_ns,
    }
}

/// Scenario 1: `ns-tool pid` as root: the whole output contract; the child
/// is PID 1 with parent PID 0; exit status 0, nothing on stderr.
fn pid_as_root(arch: Arch) {
    let boot = SHARED.get(arch);
    let step = boot.step("pid as root").stderr_eq("");
    keep(arch, "pid", &step.stdout());
    check_pid_output(step);
}

/// Keep a step's output in the log folder (target/vm-logs), where the docs
/// quote real guest runs from.
fn keep(arch: Arch, what: &str, text: &str) {
    let dir = ns_tool_vm::log_dir();
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(format!("{what}-{}.txt", arch.name())), text);
}

/// Scenario 2: `ns-tool pid` as uid/gid 65534: unshare fails with EPERM,
/// one line on stderr, exit status 1.
fn pid_as_nobody(arch: Arch) {
    let boot = SHARED.get(arch);
    let step = boot
        .step("pid as nobody")
        .code(1)
        .stdout_eq("Creating new PID namespace...\n")
        .stderr_starts_with("ns-tool: unshare(CLONE_NEWPID): Operation not permitted (EPERM): ");
    let stderr = step.stderr();
    step.check(
        "exactly one line on stderr",
        stderr.ends_with('\n') && stderr.lines().count() == 1,
    );
}

/// Scenario 4: the namespace inodes: parent and child differ, and the
/// parent's is the one of the guest's init (`/proc/1/ns/pid`).
fn namespace_inodes(arch: Arch) {
    let boot = SHARED.get(arch);
    check_namespaces(boot, "pid as root");
}

fn check_namespaces(boot: &Boot, label: &str) -> PidReport {
    let init_ns = boot.step("init pid ns").success().stdout();
    let step = boot.step(label);
    let report = check_pid_output(boot.step(label));
    // The child's own line matched `child_ns` in check_pid_output.
    step.check(
        &format!("the parent's namespace to be init's, {init_ns}"),
        report.parent_ns == init_ns,
    )
    .check(
        "different namespaces for parent and child",
        report.parent_ns != report.child_ns,
    );
    report
}

/// Scenario 3: ns-tool as the machine's own PID 1. /init exec's it (the
/// same process, so PID 1 of the root namespace, with /proc mounted); its
/// child is PID 1 of a new namespace and PID <n> in the root one, and
/// NSpid shows both levels. ns-tool's exit as init panics the kernel, whose
/// "PID: 1 Comm: ns-tool" line confirms who was PID 1.
fn pid_as_machine_init(arch: Arch) {
    let boot = AS_INIT.get(arch);
    let report = check_namespaces(boot, "ns-tool as init");
    let step = boot.step("ns-tool as init");
    step.check(
        &format!("NSpid with two levels, \"NSpid:\\t{}\\t1\"", report.child),
        step.stdout()
            .contains(&format!("\nNSpid:\t{}\t1\n", report.child)),
    )
    .check(
        "the kernel to report PID 1 = ns-tool when it exited (\"PID: 1 Comm: ns-tool\")",
        boot.console().contains("PID: 1 Comm: ns-tool"),
    );
}

/// `pid -- sh -c 'echo $$'`: COMMAND is PID 1, its parent PID 0.
fn command_is_pid_1(arch: Arch) {
    let boot = COMMANDS.get(arch);
    boot.step("install busybox").success();
    boot.step("echo pid")
        .success()
        .stdout_eq("1\nppid=0\n")
        .stderr_eq("");
}

/// COMMAND's exit status, 128+N for a signal (said on stderr), 127 for a
/// missing COMMAND.
fn exit_statuses(arch: Arch) {
    let boot = COMMANDS.get(arch);
    boot.step("exit 7").code(7).stderr_eq("");
    boot.step("killed")
        .code(137)
        .stderr_eq("ns-tool: sh was killed by signal 9 (SIGKILL)\n");
    boot.step("not found").code(127).stderr_starts_with(
        "ns-tool: execve(ns-tool-no-such-command): No such file or directory (ENOENT)",
    );
}

/// `--mount-proc`: /proc inside shows only the namespace (ls, PID 1); the
/// guest's mount table is the same before and after.
fn mount_proc(arch: Arch) {
    let boot = COMMANDS.get(arch);
    let step = boot.step("mount-proc").success();
    let pids: Vec<String> = step
        .stdout()
        .lines()
        .filter(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
        .map(String::from)
        .collect();
    step.check(&format!("only PID 1 in /proc, got {pids:?}"), pids == ["1"]);
    let before = boot.step("mounts before").success().stdout();
    boot.step("mounts after").success().stdout_eq(&before);
}

/// `--init` reaps orphans: none of the namespace's processes is a zombie.
fn init_reaps_orphans(arch: Arch) {
    let boot = COMMANDS.get(arch);
    let step = boot.step("init reaps orphans").success();
    let stats = step.stdout();
    step.check(
        "PID 1 listed",
        stats.lines().any(|l| l.starts_with("1 (ns-tool) ")),
    )
    .check(
        &format!("no zombie in the namespace: {stats}"),
        !stats
            .lines()
            .any(|l| l.split_whitespace().nth(2) == Some("Z")),
    );
}

/// SIGTERM to ns-tool reaches COMMAND through --init; its trap runs.
fn signals_are_forwarded(arch: Arch) {
    let boot = COMMANDS.get(arch);
    boot.step("signal forwarded")
        .success()
        .stdout_eq("got TERM\nstatus=3\n");
}

/// SIGKILL of ns-tool takes every process of the namespace with it.
fn sigkill_leaves_nothing(arch: Arch) {
    let boot = COMMANDS.get(arch);
    boot.step("sigkill teardown")
        .success()
        .stdout_eq("before=2\nafter=0\n")
        .stderr_eq("");
}

/// When PID 1 exits, the kernel kills the rest of its namespace.
fn pid_1_death_ends_the_namespace(arch: Arch) {
    let boot = COMMANDS.get(arch);
    boot.step("pid 1 dies").code(5);
    // grep -c exits 1 when it counts nothing.
    boot.step("after pid 1 died")
        .code(1)
        .stdout_eq("0\n")
        .stderr_eq("");
}

/// `--user` as uid 65534: PID 1 and root inside, no privilege outside.
fn user_namespace_as_nobody(arch: Arch) {
    let boot = COMMANDS.get(arch);
    boot.step("user as nobody").success().stdout_eq("1\n0\n");
}

/// `--nest 3`: the innermost child's NSpid has four levels (the guest's
/// root namespace and three new ones); `--nest 33` is refused, exit 2.
fn nesting(arch: Arch) {
    let boot = COMMANDS.get(arch);
    let step = boot.step("nest 3").success();
    let nspid = step.stdout_field("NSpid:");
    let levels: Vec<&str> = nspid.split_whitespace().collect();
    step.check(
        &format!("four NSpid levels ending in 1, got {levels:?}"),
        levels.len() == 4 && levels[3] == "1",
    );
    boot.step("nest 33")
        .code(2)
        .stdout_eq("")
        .stderr_starts_with("ns-tool: pid: --nest takes 1 to 32 levels");
}

/// `--trace pid` names each call with this architecture's number: the same
/// calls, different numbers, and clone instead of fork on aarch64.
fn trace_numbers_are_the_archs(arch: Arch) {
    let boot = COMMANDS.get(arch);
    let step = boot.step("trace").success();
    let wants: &[&str] = match arch {
        Arch::X86_64 => &[
            "] unshare(CLONE_NEWPID) = 0  (x86_64 #272)",
            "] fork() = 0  (x86_64 #57)",
            "] getpid() = 1  (x86_64 #39)",
            "] getppid() = 0  (x86_64 #110)",
            "] exit_group(0) = ?  (x86_64 #231)",
        ],
        Arch::Aarch64 => &[
            "] unshare(CLONE_NEWPID) = 0  (aarch64 #97)",
            "] clone(SIGCHLD, NULL, NULL, NULL, NULL) = 0  (aarch64 #220)",
            "] getpid() = 1  (aarch64 #172)",
            "] getppid() = 0  (aarch64 #173)",
            "] exit_group(0) = ?  (aarch64 #94)",
        ],
    };
    let mut step = step.stderr_contains("[ns 1 | host ");
    for want in wants {
        step = step.stderr_contains(want);
    }
    keep(arch, "trace", &step.stderr());
}

/// A setuid-root or setgid-root copy, run by nobody, refuses before it
/// does anything (not even a `--trace` line): the one line, exit status 3
/// (docs/security.md). Root running the setuid copy gains nothing, so the
/// kernel does not mark it secure and it runs: the copy is intact and the
/// check is AT_SECURE, not the mode bits.
fn privileged_copies_refuse(arch: Arch) {
    let boot = SHARED.get(arch);
    for label in ["setuid as nobody", "setgid as nobody"] {
        boot.step(label).code(3).stdout_eq("").stderr_eq(
            "ns-tool: refusing to run setuid, setgid or with file capabilities (AT_SECURE): \
             it would run anyone's COMMAND with those privileges; use sudo, or run it as \
             yourself with --user\n",
        );
    }
    check_pid_output(boot.step("setuid as root").stderr_eq(""));
}

/// Each signal sent to ns-tool reaches COMMAND once, and a service that
/// handles SIGHUP survives two of them (at 826b3f9 the second HUP killed
/// it); as PID 1 and under --init. (No SIGINT: `cmd &` ignores it.)
fn each_signal_once(arch: Arch) {
    let boot = SIGNALS.get(arch);
    boot.step("install busybox").success();
    for label in ["once", "once init"] {
        boot.step(label)
            .success()
            .stdout_eq("got TERM\ngot HUP\ngot HUP\ngot USR1\nbye\nstatus=0\n")
            .stderr_eq("");
    }
}

/// `sleep` as PID 1 has no handler: the first SIGTERM is dropped (ns-tool
/// says so), the second kills the namespace (said after), exit 137. (Not
/// SIGINT: the shell runs `cmd &` with SIGINT ignored, so ns-tool rightly
/// leaves it alone; see `ignored_signals_stay_ignored`.)
fn escalation_only_for_a_dropped_signal(arch: Arch) {
    let boot = SIGNALS.get(arch);
    boot.step("escalate")
        .success()
        .stdout_eq("status=137\n")
        .stderr_eq(
            "ns-tool: sleep is PID 1 of its namespace and has no handler for SIGTERM, so the \
             kernel dropped it; send it again to kill the namespace\n\
             ns-tool: SIGTERM again: killed the namespace (SIGKILL to sleep, its PID 1)\n",
        );
}

/// Signals the caller ignored (`trap ''`) are neither acted on nor
/// passed on: COMMAND runs to its end.
fn ignored_signals_stay_ignored(arch: Arch) {
    let boot = SIGNALS.get(arch);
    boot.step("ignored")
        .success()
        .stdout_eq("ready\ndone\nstatus=0\n")
        .stderr_eq("");
}

/// Started with SIGCHLD ignored, ns-tool still sees its child end.
fn sigchld_ignored_does_not_hang(arch: Arch) {
    let boot = SIGNALS.get(arch);
    // COMMAND inherits it ignored, as it would without ns-tool (bit 16).
    boot.step("sigchld ignored")
        .success()
        .stdout_eq("SigIgn:\t0000000000010000\n");
}

/// A script without `#!` runs with /bin/sh, as execvp(3) runs it.
fn script_without_shebang(arch: Arch) {
    let boot = SIGNALS.get(arch);
    boot.step("no shebang")
        .code(4)
        .stdout_eq("ran /noshebang a b\n")
        .stderr_eq("");
}

/// What ns-tool says, as the machine's PID 1, when COMMAND has ended
/// (src/cmd/init.rs, `power_off`).
fn powering_off(code: i32) -> String {
    format!("ns-tool: COMMAND's exit status {code}; powering off\n")
}

/// `ns-tool init` as PID 1 of a PID namespace, not of the machine (under
/// `ns-tool pid` and under busybox `unshare -pf`): COMMAND is PID 2 with
/// parent 1, its exit status comes through, and ns-tool neither says it
/// powers off nor mounts anything (the guest has no /sys, which a
/// machine's init would mount; the mount table is unchanged), and the VM
/// goes on (the steps after it ran).
fn init_in_a_pid_namespace(arch: Arch) {
    let boot = COMMANDS.get(arch);
    boot.step("init in a pid namespace")
        .code(7)
        .stdout_eq("pid=2 ppid=1\n")
        .stderr_eq("");
    boot.step("unshare -pf init")
        .code(9)
        .stdout_eq("pid=2 ppid=1\n")
        .stderr_eq("");
    let before = boot.step("mounts before init").success().stdout();
    boot.step("mounts after init").success().stdout_eq(&before);
    boot.step("no /sys after init")
        .success()
        .stdout_eq("sys=1\n");
}

/// `ns-tool init` as a namespace's PID 1 reaps an orphan: none of the
/// namespace's processes (its own /proc) is a zombie.
fn init_reaps_in_a_pid_namespace(arch: Arch) {
    let boot = COMMANDS.get(arch);
    let step = boot
        .step("init reaps in a pid namespace")
        .success()
        .stderr_eq("");
    let stats = step.stdout();
    step.check(
        &format!("PID 1 to be ns-tool: {stats}"),
        stats.lines().any(|l| l.starts_with("1 (ns-tool) ")),
    )
    .check(
        &format!("no zombie in the namespace: {stats}"),
        !stats
            .lines()
            .any(|l| l.split_whitespace().nth(2) == Some("Z")),
    );
}

/// SIGTERM sent from outside to the PID 1 of a namespace, `ns-tool init`,
/// reaches COMMAND exactly once (its trap runs once); SIGUSR2 ends it, and
/// its status 5 comes out of both ns-tools.
fn init_forwards_term_once(arch: Arch) {
    let boot = COMMANDS.get(arch);
    boot.step("term to a namespace's init")
        .success()
        .stdout_eq("init=ns-tool\ngot TERM\nbye\nstatus=5\n")
        .stderr_eq("");
}

/// `ns-tool init` where it is not PID 1 (a child of /init) is a child
/// subreaper: the orphan `cat` becomes its child, not /init's, and is
/// reaped once it ends (no `Z` left); nothing said, status 0.
fn init_as_subreaper(arch: Arch) {
    let boot = COMMANDS.get(arch);
    boot.step("init as subreaper")
        .success()
        .stdout_eq("during: (cat) S (subreaper) S\nafter: (subreaper) S\n")
        .stderr_eq("");
}

/// The kernel starts `ns-tool init /check 7` as the machine's PID 1 (no
/// vm-init): /check runs with its arguments, as ns-tool's child (PPid 1),
/// ns-tool says COMMAND's status and powers the machine off: QEMU ends by
/// itself, after the kernel's "reboot: Power down", with no panic.
fn kernel_starts_init(arch: Arch) {
    let boot = KERNEL_INIT.get(arch);
    boot.powered_off()
        .console_contains(&format!("check: args 7, on {}\n", arch.name()))
        .console_contains("check: init's argv /bin/ns-tool init /check 7 \n")
        .console_contains("check: not PID 1; parent 1\n")
        .console_contains(&powering_off(7));
}

/// ... with nothing to mount on and no console for init (the kernel said
/// so): ns-tool made /proc and /sys, mounted proc, sysfs and devtmpfs
/// (nosuid, nodev, noexec but for /dev), and opened the devtmpfs's
/// /dev/console as fds 0, 1 and 2. What user space printed, exactly: no
/// other message from ns-tool (e.g. a failed mount).
fn kernel_init_mounts(arch: Arch) {
    let boot = KERNEL_INIT.get(arch);
    boot.console_contains(ns_tool_vm::bare::NO_INITIAL_CONSOLE)
        .user_output_eq(&format!(
            "check: args 7, on {}
check: init's argv /bin/ns-tool init /check 7 \ncheck: not PID 1; parent 1
check: /sys/kernel exists
check: /dev/null is a character device
check: fd 0 is /dev/console
check: fd 1 is /dev/console
check: fd 2 is /dev/console
check: proc on /proc, nosuid nodev noexec
check: sysfs on /sys, nosuid nodev noexec
check: devtmpfs on /dev, nosuid
{}",
            arch.name(),
            powering_off(7)
        ));
}

/// A signal that kills COMMAND: a grandchild's SIGTERM to PID 1 is passed
/// on to COMMAND (`sh -c`, given as one quoted word on the kernel's
/// command line and found without PATH), which dies of it: 143, said, and
/// the machine powers off.
fn kernel_init_signalled_command(arch: Arch) {
    let boot = KERNEL_INIT_SIGNAL.get(arch);
    boot.powered_off()
        .console_contains("sh: asking PID 1 to stop\n")
        .console_lacks("sh: still here")
        .console_contains("ns-tool: sh was killed by signal 15 (SIGTERM)\n")
        .console_contains(&powering_off(143));
}

/// A usage error as the machine's first process: the one-line message,
/// then power-off with status 2, not an exit and a kernel panic.
fn kernel_init_usage_error_powers_off(arch: Arch) {
    let boot = KERNEL_INIT_USAGE.get(arch);
    boot.powered_off()
        .console_contains(
            "ns-tool: init: needs a COMMAND to run, or --pause; e.g. 'ns-tool init -- sleep 10'\n",
        )
        .console_contains(&powering_off(2));
}

/// A COMMAND that does not exist: ns-tool's exec error, 127, power off.
fn kernel_init_missing_command(arch: Arch) {
    let boot = KERNEL_INIT_MISSING.get(arch);
    boot.powered_off()
        .console_contains("ns-tool: execve(/no/such/command): No such file or directory (ENOENT)")
        .console_contains(&powering_off(127));
}

/// `--trace` of the machine's init names each call with the guest's own
/// numbers (each arch boots its own static build): the mounts, the check
/// of the first PID namespace, the fork and the sync before power-off.
fn kernel_init_trace_is_the_archs(arch: Arch) {
    let boot = KERNEL_INIT_MISSING.get(arch);
    let (mount, readlinkat, fork, sync) = match arch {
        Arch::X86_64 => ("x86_64 #165", "x86_64 #267", "fork() = ", "x86_64 #162"),
        Arch::Aarch64 => (
            "aarch64 #40",
            "aarch64 #78",
            "clone(SIGCHLD, NULL, NULL, NULL, NULL) = ",
            "aarch64 #81",
        ),
    };
    let mut b = boot.console_contains("[host 1] getpid() = 1  (");
    for want in [
        format!(
            "[host 1] mount(\"proc\", \"/proc\", \"proc\", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = 0  ({mount})\n"
        ),
        format!(
            "[host 1] readlinkat(AT_FDCWD, \"/proc/self/ns/pid\", \"pid:[4026531836]\", 32) = 16  ({readlinkat})\n"
        ),
        format!(
            "[host 1] mount(\"sysfs\", \"/sys\", \"sysfs\", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = 0  ({mount})\n"
        ),
        format!(
            "[host 1] mount(\"devtmpfs\", \"/dev\", \"devtmpfs\", MS_NOSUID, NULL) = 0  ({mount})\n"
        ),
        format!("[host 1] {fork}"),
        format!("[host 1] sync() = 0  ({sync})\n"),
    ] {
        b = b.console_contains(&want);
    }
    keep(arch, "init-trace", &boot.user_output());
}

/// `clone`'s demonstration (root, and nobody with `--user`): PID 1 and
/// parent PID 0 inside; the parent's PID namespace, and the one for its
/// children, are still the guest's: clone3 moved only the child.
fn clone_shows_pid_1_from_both_sides(arch: Arch) {
    let boot = CLONE.get(arch);
    let init_ns = boot.step("init pid ns").success().stdout();
    let step = boot
        .step("clone")
        .success()
        .stderr_eq("")
        .stdout_contains(
            "Creating a PID namespace and its child with one clone3 call...\n\
             Parent: created child with PID ",
        )
        .stdout_contains("\nChild PID inside namespace: 1\nParent PID inside namespace: 0\n")
        .stdout_contains(&format!("Parent: PID namespace: {init_ns}\n"))
        .stdout_contains(&format!("Parent: PID namespace for children: {init_ns}\n"))
        .stdout_contains("\nChild exited with code 0\n");
    let inside = step.stdout_field("PID namespace: ");
    step.check(
        &format!("the child's namespace, {inside}, is not the guest's"),
        inside.starts_with("pid:[") && inside != init_ns,
    );
    keep(arch, "clone", &step.stdout());
    boot.step("clone user as nobody")
        .success()
        .stdout_eq("1\n0\n");
    boot.step("clone as nobody")
        .code(1)
        .stdout_eq("")
        .stderr_eq(
            "ns-tool: clone3: Operation not permitted (EPERM): creating namespaces \
             requires root (CAP_SYS_ADMIN); run it with sudo, or add --user to create a user \
             namespace first\n",
        );
}

/// `clone -- sh`: the shell is PID 1, its parent PID 0.
fn clone_runs_command_as_pid_1(arch: Arch) {
    let boot = CLONE.get(arch);
    boot.step("install busybox").success();
    boot.step("clone echo")
        .success()
        .stdout_eq("PID=1 PPID=0\n")
        .stderr_eq("");
}

/// `--trace clone`: one clone3 (435 on both), no unshare and no fork, and
/// the wait through the pidfd with this arch's waitid number.
fn clone_trace_is_one_call_and_a_pidfd_wait(arch: Arch) {
    let boot = CLONE.get(arch);
    let (name, waitid) = match arch {
        Arch::X86_64 => ("x86_64", 247),
        Arch::Aarch64 => ("aarch64", 95),
    };
    let step = boot
        .step("clone trace")
        .code(3)
        .stderr_contains(&format!(
            "] clone3({{flags=CLONE_NEWPID|CLONE_PIDFD, exit_signal=SIGCHLD}}, 64) = 0  \
             ({name} #435)"
        ))
        .stderr_contains(&format!(
            ", [exited 3], WNOHANG|WUNTRACED|WEXITED|__WALL, NULL) = 0  ({name} #{waitid})"
        ))
        .stderr_contains("] waitid(P_PIDFD, ");
    let trace = step.stderr();
    step.check(
        "no unshare, fork or wait4 in the trace",
        !trace.contains("] unshare(") && !trace.contains("] fork(") && !trace.contains("] wait4("),
    );
    keep(arch, "clone-trace", &trace);
    // The same job by `pid`, for docs/02-unshare-vs-clone.md: two calls,
    // and the wait by PID.
    let (unshare, fork) = match arch {
        Arch::X86_64 => ("272", "] fork() = 0  (x86_64 #57)"),
        Arch::Aarch64 => (
            "97",
            "] clone(SIGCHLD, NULL, NULL, NULL, NULL) = 0  (aarch64 #220)",
        ),
    };
    let step = boot
        .step("pid trace")
        .code(3)
        .stderr_contains(&format!("] unshare(CLONE_NEWPID) = 0  ({name} #{unshare})"))
        .stderr_contains(fork)
        .stderr_contains("] wait4(");
    keep(arch, "pid-trace", &step.stderr());
}

/// Under a seccomp filter that answers clone3 with ENOSYS, as container
/// runtimes' profiles do: clone(2) makes the same child (this arch's
/// number), the trace says why, and the shell is still PID 1.
fn clone_falls_back_to_clone_on_enosys(arch: Arch) {
    let boot = CLONE.get(arch);
    let (name, clone) = match arch {
        Arch::X86_64 => ("x86_64", 56),
        Arch::Aarch64 => ("aarch64", 220),
    };
    let step = boot
        .step("clone enosys")
        .success()
        .stdout_eq("PID=1\n")
        .stderr_contains(&format!(
            ") = -1 ENOSYS (Invalid system call number)  ({name} #435)"
        ))
        .stderr_contains("] clone3 refused (ENOSYS): trying clone(2)\n")
        .stderr_contains(&format!(
            "] clone(CLONE_NEWPID|CLONE_PIDFD|SIGCHLD, NULL, [-1], NULL, NULL) = 0  \
             ({name} #{clone})"
        ))
        .stderr_contains("] waitid(P_PIDFD, ");
    keep(arch, "clone-enosys", &step.stderr());
}

/// /init exec's `ns-tool clone`: the machine's PID 1 clones the first
/// process of a new namespace (PID 1 there, PID 2 or more in the guest's);
/// its exit as init panics the kernel, which names it.
fn clone_as_machine_init(arch: Arch) {
    let boot = CLONE_AS_INIT.get(arch);
    let init_ns = boot.step("init pid ns").success().stdout();
    let step = boot
        .step("clone as init")
        .success()
        .stdout_contains("\nChild PID inside namespace: 1\n")
        .stdout_contains(&format!("Parent: PID namespace: {init_ns}\n"))
        .stdout_contains("\nChild exited with code 0\n");
    let nspid = step.stdout_field("NSpid:");
    let levels: Vec<&str> = nspid.split_whitespace().collect();
    step.check(
        &format!("two NSpid levels, the inner one 1: {levels:?}"),
        levels.len() == 2 && levels[1] == "1" && levels[0] != "1",
    )
    .check(
        "the kernel to report PID 1 = ns-tool when it exited (\"PID: 1 Comm: ns-tool\")",
        boot.console().contains("PID: 1 Comm: ns-tool"),
    );
}

/// `proc`: one `name -> type:[inode]` line per namespace; from inside a
/// new PID namespace against the guest's init, pid and pid_for_children
/// differ and the rest are shared; a missing PID is one line, exit 1.
fn proc_lists_and_compares_namespaces(arch: Arch) {
    let boot = CLONE.get(arch);
    let step = boot.step("proc").success().stderr_eq("");
    let out = step.stdout();
    step.check(
        &format!("a pid line and every line `name -> type:[inode]`: {out}"),
        out.lines().any(|l| l.starts_with("pid -> pid:["))
            && out.lines().all(|l| {
                let (name, target) = l.split_once(" -> ").unwrap_or(("", ""));
                !name.is_empty() && target.contains(":[") && target.ends_with(']')
            }),
    );
    keep(arch, "proc", &out);
    let step = boot.step("proc in a pid namespace").success();
    let out = step.stdout();
    let differs: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("differs"))
        .map(|l| l.split(' ').next().unwrap_or(""))
        .collect();
    step.check(
        &format!("only pid and pid_for_children differ: {out}"),
        differs == ["pid", "pid_for_children"] || differs == ["pid_for_children", "pid"],
    )
    .check("others shared", out.contains("same"));
    boot.step("proc missing")
        .code(1)
        .stdout_eq("")
        .stderr_starts_with("ns-tool: ");
}

/// `uts`: inside, the hostname set (`container-test`, or `--hostname`,
/// `--domainname` for COMMAND); outside, the guest's name before, during
/// and after, read by the guest itself; as nobody with --user and --pid;
/// the trace's sethostname with this arch's number.
fn uts_names_change_inside_only(arch: Arch) {
    let boot = UTS.get(arch);
    let host = boot.step("names before").success().stdout();
    let host = host.trim_end();
    let step = boot
        .step("uts")
        .success()
        .stderr_eq("")
        .stdout_contains(&format!("Parent: hostname outside: {host}\n"))
        .stdout_contains("\nHostname in namespace: container-test\n")
        .stdout_contains(&format!("\nParent: hostname outside, after: {host}\n"));
    let inside = step.stdout_field("UTS namespace: ");
    let outside = step.stdout_field("Parent: UTS namespace outside: ");
    step.check(
        &format!("different UTS namespaces: {inside} and {outside}"),
        inside.starts_with("uts:[") && outside.starts_with("uts:[") && inside != outside,
    );
    keep(arch, "uts", &step.stdout());
    boot.step("uts names").success().stdout_eq("box\nlan\n");
    boot.step("uts user as nobody")
        .success()
        .stdout_eq("1\ncontainer-test\n");
    let (name, nr) = match arch {
        Arch::X86_64 => ("x86_64", 170),
        Arch::Aarch64 => ("aarch64", 161),
    };
    let step = boot
        .step("uts trace")
        .success()
        .stderr_contains(&format!(
            "] sethostname(\"container-test\", 14) = 0  ({name} #{nr})"
        ))
        .stderr_contains("] unshare(CLONE_NEWUTS) = 0  (");
    keep(arch, "uts-trace", &step.stderr());
    boot.step("names after")
        .success()
        .stdout_eq(&format!("{host}\n"));
}

/// `uts --hostname guest sh` as the machine's PID 1, started by the
/// kernel: the shell, ns-tool's child, has the hostname; ns-tool passes
/// its status on and powers the machine off.
fn uts_as_machine_init(arch: Arch) {
    let boot = UTS_KERNEL_INIT.get(arch);
    boot.powered_off()
        .console_contains("ppid=1 host=guest\n")
        .console_contains(&powering_off(4));
}

/// The boot for `user`: the demonstration as nobody (the user it is for)
/// and as root, COMMANDs mapped, a `--trace` for the docs, a bad ID.
static USER: SharedBoot = SharedBoot::new("user", |vm: &mut Vm| {
    with_busybox_installed(vm)
        .readlink("init user ns", "/proc/1/ns/user")
        .run_as("user as nobody", NOBODY, ["user"])
        .run("user as root", ["user"])
        .run_as(
            "user maps as nobody",
            NOBODY,
            [
                "user",
                "--",
                "sh",
                "-c",
                "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups",
            ],
        )
        .run_as(
            "user map-user as nobody",
            NOBODY,
            ["user", "--map-user", "1000", "--map-group=7", "--", "id"],
        )
        .run(
            "user maps as root",
            ["user", "--", "cat", "/proc/self/uid_map"],
        )
        .run_as("user trace", NOBODY, ["--trace", "user"])
        .run_as("user bad id", NOBODY, ["user", "--map-group", "4294967295"]);
});

/// `user`'s demonstration: the overflow IDs before the maps, root and
/// every capability inside; outside, the caller's IDs, its capabilities
/// (none for nobody), the guest's user namespace; the outside's hostname
/// refused (EPERM), a UTS namespace of its own allowed.
fn user_as_nobody_is_root_inside_only(arch: Arch) {
    let boot = USER.get(arch);
    boot.step("install busybox").success();
    let init_ns = boot.step("init user ns").success().stdout();
    let init_ns = init_ns.trim_end();
    for (label, id, caps) in [
        ("user as nobody", 65534, Some("0x0")),
        ("user as root", 0, None),
    ] {
        let step = boot
            .step(label)
            .success()
            .stderr_eq("")
            .stdout_contains(&format!(
                "Parent: UID outside: {id}\nParent: GID outside: {id}\n"
            ))
            .stdout_contains(&format!("Parent: user namespace outside: {init_ns}\n"))
            .stdout_contains(
                "\n=== Inside the user namespace ===\n\
                 UID before the maps: 65534\n\
                 GID before the maps: 65534\n\
                 UID: 0\n\
                 GID: 0\n\
                 Effective capabilities: 0x",
            )
            .stdout_contains(
                "Set the outside's hostname: no: Operation not permitted (EPERM)\n\
                 Create a UTS namespace: yes\n\
                 Set its hostname: yes\n\
                 =================================\n\n\
                 Parent: child ",
            );
        let inside = step.stdout_field("User namespace: ");
        let inner_caps = step.stdout_field("Effective capabilities: ");
        let outer_caps = step.stdout_field("Parent: effective capabilities outside: ");
        let full = u64::from_str_radix(inner_caps.trim_start_matches("0x"), 16).unwrap_or(0);
        step.check(
            &format!("its own user namespace, {inside}, not the guest's"),
            inside.starts_with("user:[") && inside != init_ns,
        )
        .check(
            &format!("every capability inside: {inner_caps}"),
            full.count_ones() >= 38 && (full + 1).is_power_of_two(),
        )
        .check(
            &format!("outside, {outer_caps}"),
            caps.map_or(outer_caps != "0x0", |c| outer_caps == c),
        );
        keep(arch, label.replace(' ', "-").as_str(), &step.stdout());
    }
}

/// `user -- COMMAND`: COMMAND runs mapped: root inside, the caller's IDs
/// outside (nobody's, or root's), or the IDs --map-user/--map-group give.
fn user_command_runs_mapped(arch: Arch) {
    let boot = USER.get(arch);
    let step = boot.step("user maps as nobody").success().stderr_eq("");
    let lines: Vec<String> = step
        .stdout()
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    step.check(
        &format!("root inside, mapped to 65534, setgroups denied: {lines:?}"),
        lines == ["0", "0", "0 65534 1", "0 65534 1", "deny"],
    );
    boot.step("user map-user as nobody")
        .success()
        .stdout_contains("uid=1000 gid=7");
    let step = boot.step("user maps as root").success();
    let map = step
        .stdout()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    step.check(&format!("root's map is 0 0 1: {map}"), map == "0 0 1");
    boot.step("user bad id")
        .code(2)
        .stdout_eq("")
        .stderr_eq("ns-tool: user: an ID is a number from 0 to 4294967294, not '4294967295'\n");
}

/// `--trace user` as nobody: the child's unshare(CLONE_NEWUSER) with this
/// arch's number, its maps written by itself, sethostname refused.
fn user_trace_is_the_archs(arch: Arch) {
    let boot = USER.get(arch);
    let (name, unshare, sethostname) = match arch {
        Arch::X86_64 => ("x86_64", 272, 170),
        Arch::Aarch64 => ("aarch64", 97, 161),
    };
    let step = boot
        .step("user trace")
        .success()
        .stderr_contains(&format!(
            "] unshare(CLONE_NEWUSER) = 0  ({name} #{unshare})"
        ))
        .stderr_contains("write(3, \"0 65534 1\", 9) = 9")
        .stderr_contains(&format!(
            ") = -1 EPERM (Operation not permitted)  ({name} #{sethostname})"
        ))
        .stderr_contains(&format!("] unshare(CLONE_NEWUTS) = 0  ({name} #{unshare})"));
    keep(arch, "user-trace", &step.stderr());
}

/// The boot for `ipc`: its demonstration between two readings of
/// /proc/sysvipc by a shell outside, with `--trace`, a COMMAND, and
/// nobody with and without `--user`.
static IPC: SharedBoot = SharedBoot::new("ipc", |vm: &mut Vm| {
    let busybox = busybox(vm.arch());
    let sysvipc = [
        "/bin/sh",
        "-c",
        "cat /proc/sysvipc/msg /proc/sysvipc/sem /proc/sysvipc/shm",
    ];
    vm.file("/bin/busybox", 0o755, busybox)
        .command_as(
            "install busybox",
            0,
            ["/bin/busybox", "--install", "-s", "/bin"],
        )
        .command_as("sysvipc before", 0, sysvipc)
        .run("ipc", ["ipc"])
        .command_as("sysvipc after", 0, sysvipc)
        .run("ipc trace", ["--trace", "ipc"])
        .run_as("ipc user as nobody", NOBODY, ["ipc", "--user"])
        .run_as("ipc as nobody", NOBODY, ["ipc"])
        .run(
            "ipc command",
            [
                "ipc",
                "--pid",
                "--",
                "sh",
                "-c",
                "cat /proc/sysvipc/msg; echo $$",
            ],
        )
        .command_as("sysvipc at the end", 0, sysvipc);
});

/// `ipc`: one object of each kind outside, none inside, the outside's
/// counts back as they were, and /proc/sysvipc unchanged byte for byte;
/// as nobody, the same with `--user`, one EPERM line without.
fn ipc_counts_from_both_sides(arch: Arch) {
    let boot = IPC.get(arch);
    boot.step("install busybox").success();
    let before = boot.step("sysvipc before").success().stdout();
    let counts = |n: u32| format!("Message queues: {n}\nSemaphores: {n}\nShared memory: {n}\n");
    let step = boot
        .step("ipc")
        .success()
        .stderr_eq("")
        .stdout_contains(&format!("Parent: outside, before:\n{}", counts(0)))
        .stdout_contains(&format!(
            "Parent: outside, with one of each (msgget, semget, shmget):\n{}",
            counts(1)
        ))
        .stdout_contains(&format!(
            "\n=== Inside the IPC namespace ===\n{}IPC namespace: ipc:[",
            counts(0)
        ))
        .stdout_contains(&format!(
            "Parent: outside, after removing them (IPC_RMID):\n{}Parent: child ",
            counts(0)
        ))
        .stdout_contains(" exited with status 0\n");
    let outside = step.stdout_field("Parent: IPC namespace outside: ");
    let inside = step.stdout_field("IPC namespace: ");
    step.check(
        &format!("two IPC namespaces: {outside} outside, {inside} inside"),
        outside.starts_with("ipc:[") && inside.starts_with("ipc:[") && outside != inside,
    );
    keep(arch, "ipc", &step.stdout());
    boot.step("sysvipc after").success().stdout_eq(&before);
    boot.step("ipc user as nobody")
        .success()
        .stdout_contains(&format!(
            "\n=== Inside the IPC namespace ===\n{}",
            counts(0)
        ));
    boot.step("ipc as nobody")
        .code(1)
        .stderr_eq(
            "ns-tool: unshare(CLONE_NEWIPC): Operation not permitted (EPERM): creating \
             namespaces requires root (CAP_SYS_ADMIN); run it with sudo, or add --user to \
             create a user namespace first\n",
        )
        .stdout_contains(&format!(
            "Parent: outside, after removing them (IPC_RMID):\n{}",
            counts(0)
        ));
    boot.step("sysvipc at the end").success().stdout_eq(&before);
}

/// `ipc -- COMMAND`: the header of an empty /proc/sysvipc/msg, as PID 1
/// with `--pid`; `--trace ipc`: the three objects made and removed with
/// this arch's numbers, and the child's unshare(CLONE_NEWIPC).
fn ipc_command_and_trace(arch: Arch) {
    let boot = IPC.get(arch);
    let before = boot.step("sysvipc before").success().stdout();
    let header = before.lines().next().unwrap_or("").to_string();
    boot.step("ipc command")
        .success()
        .stdout_eq(&format!("{header}\n1\n"));
    let (name, nr): (&str, [u32; 7]) = match arch {
        Arch::X86_64 => ("x86_64", [68, 64, 29, 71, 66, 31, 272]),
        Arch::Aarch64 => ("aarch64", [186, 190, 194, 187, 191, 195, 97]),
    };
    // The IDs vary (the kernel numbers them on from the demonstration's).
    let calls = [
        "] msgget(0, 896) = ",
        "] semget(0, 1, 896) = ",
        "] shmget(0, 4096, 896) = ",
        "] msgctl(",
        "] semctl(",
        "] shmctl(",
        "] unshare(CLONE_NEWIPC) = 0  ",
    ];
    let step = boot.step("ipc trace").success();
    let trace = step.stderr();
    let mut step = step;
    for (call, nr) in calls.into_iter().zip(nr) {
        let end = format!("  ({name} #{nr})");
        step = step.check(
            &format!("a line with `{call}` ending `{end}`"),
            trace.lines().any(|l| l.contains(call) && l.ends_with(&end)),
        );
    }
    keep(arch, "ipc-trace", &step.stderr());
}

/// `mount`: the tmpfs on /mnt inside, nothing on /mnt outside, the
/// outside's table byte for byte as before (ns-tool's own
/// check), the same as nobody with `--user`; the guest's table the same
/// after every run.
fn mount_shows_the_tmpfs_inside_only(arch: Arch) {
    let boot = MOUNT.get(arch);
    for name in ["mount", "mount user as nobody"] {
        let step = boot.step(name).success().stderr_eq("");
        let out = step.stdout();
        let inside = out
            .lines()
            .find(|l| l.starts_with("On /mnt in namespace: "))
            .unwrap_or("");
        step.check(
            &format!("a tmpfs on /mnt inside, nodev and nosuid: {out}"),
            inside.contains(" /mnt rw,nosuid,nodev") && inside.contains(" - tmpfs tmpfs "),
        )
        .stdout_contains("Parent: on /mnt outside: nothing mounted\n")
        .stdout_contains("Mount namespace: mnt:[")
        .check(
            &format!("the outside's table unchanged, last: {out}"),
            out.ends_with("Parent: mount table outside: byte for byte as before\n"),
        );
        keep(arch, &name.replace(' ', "-"), &out);
    }
    let before = boot.step("table before").success().stdout();
    boot.step("table after")
        .success()
        .check(
            "the guest's mount table as before",
            boot.step("table after").stdout() == before,
        )
        .stdout_lacks(" /mnt ");
}

/// `mount -- COMMAND`: COMMAND sees the tmpfs; a missing --target is one
/// line and exit 1; nobody without `--user` gets unshare's EPERM line.
fn mount_runs_command_and_reports_errors(arch: Arch) {
    let boot = MOUNT.get(arch);
    let step = boot.step("mount grep").success();
    let out = step.stdout();
    step.check(
        &format!("one tmpfs line on /mnt, nodev, nosuid: {out}"),
        out.lines().count() == 1
            && out.contains(" /mnt rw,nosuid,nodev")
            && out.contains(" - tmpfs "),
    );
    boot.step("mount missing")
        .code(1)
        .stdout_eq("")
        .stderr_eq("ns-tool: openat(/nosuch): No such file or directory (ENOENT)\n");
    boot.step("mount as nobody")
        .code(1)
        .stdout_eq("")
        .stderr_starts_with("ns-tool: unshare(CLONE_NEWNS): Operation not permitted (EPERM): ");
}

/// `--trace mount`: the child's unshare(CLONE_NEWNS), the tree made
/// private, the tmpfs mounted, each with this arch's numbers.
fn mount_trace_is_the_archs(arch: Arch) {
    let boot = MOUNT.get(arch);
    let step = boot.step("mount trace").success();
    let err = step.stderr();
    let (unshare, mount) = match arch {
        Arch::X86_64 => ("(x86_64 #272)", "(x86_64 #165)"),
        Arch::Aarch64 => ("(aarch64 #97)", "(aarch64 #40)"),
    };
    for want in [
        format!("] unshare(CLONE_NEWNS) = 0  {unshare}"),
        format!("] mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL) = 0  {mount}"),
        format!("] mount(\"tmpfs\", \"/mnt\", \"tmpfs\", MS_NOSUID|MS_NODEV, NULL) = 0  {mount}"),
    ] {
        step.check(&format!("{want} in: {err}"), err.contains(&want));
    }
    keep(arch, "mount-trace", &err);
}

/// The boot for `cgroup`: the demonstration before any cgroup file system
/// is mounted (the kernel then lists no hierarchy in /proc/self/cgroup),
/// in the guest's root cgroup (the same `0::/` from both sides), then in
/// a cgroup v2 sub-cgroup the
/// step's shell moves itself into (`0::/demo` outside, `0::/` inside); a
/// traced COMMAND that reads its own cgroup and /init's, which is above
/// the namespace's root; nobody with and without `--user`; a COMMAND's
/// background process under `--pid`, after which the sub-cgroup is empty.
static CGROUP: SharedBoot = SharedBoot::new("cgroup", |vm: &mut Vm| {
    let busybox = busybox(vm.arch());
    let in_demo = |args: &str| {
        [
            "/bin/sh".to_string(),
            "-c".into(),
            format!("echo $$ > {DEMO_CGROUP}/cgroup.procs && exec /bin/ns-tool {args}"),
        ]
    };
    vm.file("/bin/busybox", 0o755, busybox)
        .command_as(
            "install busybox",
            0,
            ["/bin/busybox", "--install", "-s", "/bin"],
        )
        .readlink("init cgroup ns", "/proc/1/ns/cgroup")
        .run("cgroup unmounted", ["cgroup"])
        .command_as(
            "mount cgroup2",
            0,
            [
                "/bin/sh",
                "-c",
                &format!(
                    "mkdir -p /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && \
                     mkdir {DEMO_CGROUP}"
                ),
            ],
        )
        .run("cgroup at the root", ["cgroup"])
        .command_as("cgroup in demo", 0, in_demo("cgroup"))
        .command_as(
            "cgroup trace",
            0,
            in_demo("--trace cgroup -- cat /proc/self/cgroup /proc/1/cgroup"),
        )
        .run_as("cgroup user as nobody", NOBODY, ["cgroup", "--user"])
        .run_as("cgroup as nobody", NOBODY, ["cgroup", "--", "true"])
        .command_as(
            "cgroup pid leak",
            0,
            in_demo("cgroup --pid -- sh -c 'sleep 1000 >/dev/null 2>&1 & exit 0'"),
        )
        .command_as(
            "cgroup empty",
            0,
            [
                "/bin/sh",
                "-c",
                &format!("cat {DEMO_CGROUP}/cgroup.procs; rmdir {DEMO_CGROUP} && echo removed"),
            ],
        );
});

/// The sub-cgroup the `CGROUP` boot makes.
const DEMO_CGROUP: &str = "/sys/fs/cgroup/demo";

/// `cgroup`'s demonstration for a process whose cgroup v2 path is `path`
/// (the guest mounts no v1 hierarchy: one line each; none before cgroup2
/// is mounted), with the two namespaces' names.
fn cgroup_contract(path: Option<&str>, outer_ns: &str, inner_ns: &str, child: &str) -> String {
    let line = |label: &str, path: &str| format!("{label}0::{path}\n");
    let (before, inside, after) = match path {
        Some(p) => (
            line("Parent: cgroup outside: ", p),
            line("cgroup in namespace: ", "/"),
            line("Parent: cgroup outside, after: ", p),
        ),
        None => Default::default(),
    };
    format!(
        "{before}Parent: cgroup namespace: {outer_ns}

=== Inside the cgroup namespace ===
{inside}cgroup namespace: {inner_ns}
===================================

{after}Parent: child {child} exited with status 0
"
    )
}

/// Check a `cgroup` demonstration run in cgroup `path`, the guest's
/// cgroup namespace `init_ns` outside.
fn check_cgroup_demo<'a>(step: Assert<'a>, path: Option<&str>, init_ns: &str) -> Assert<'a> {
    let step = step.success().stderr_eq("");
    let inner = step.stdout_field("cgroup namespace: ");
    let child = step.stdout_field("Parent: child ");
    let child = child.split(' ').next().unwrap_or("").to_string();
    let step = step.stdout_eq(&cgroup_contract(path, init_ns, &inner, &child));
    step.check(
        &format!("a cgroup namespace of its own inside ({inner}), not the guest's"),
        inner.starts_with("cgroup:[") && inner != init_ns,
    )
}

/// `cgroup` where /init runs, the root cgroup: both sides say `0::/`, and
/// only the namespaces' inodes differ. Before cgroup2 is first mounted,
/// the kernel lists no hierarchy in /proc/self/cgroup, on either side.
fn cgroup_shows_root_inside(arch: Arch) {
    let boot = CGROUP.get(arch);
    let init_ns = boot.step("init cgroup ns").success().stdout();
    check_cgroup_demo(boot.step("cgroup unmounted"), None, &init_ns);
    boot.step("mount cgroup2").success();
    let step = check_cgroup_demo(boot.step("cgroup at the root"), Some("/"), &init_ns);
    keep(arch, "cgroup-root", &step.stdout());
}

/// `cgroup` in the sub-cgroup `demo`: `0::/demo` outside, `0::/` inside;
/// the traced COMMAND sees itself at `/` and /init at `/..`; a background
/// process under `--pid` dies with the namespace, and the sub-cgroup can
/// be removed: nothing was left in it.
fn cgroup_in_a_sub_cgroup(arch: Arch) {
    let boot = CGROUP.get(arch);
    let init_ns = boot.step("init cgroup ns").success().stdout();
    boot.step("mount cgroup2").success();
    let step = check_cgroup_demo(boot.step("cgroup in demo"), Some("/demo"), &init_ns);
    keep(arch, "cgroup", &step.stdout());
    let (name, unshare) = match arch {
        Arch::X86_64 => ("x86_64", 272),
        Arch::Aarch64 => ("aarch64", 97),
    };
    let step = boot
        .step("cgroup trace")
        .success()
        .stdout_eq("0::/\n0::/..\n")
        .stderr_contains(&format!(
            "] unshare(CLONE_NEWCGROUP) = 0  ({name} #{unshare})"
        ));
    let trace = step.stderr();
    step.check(
        "one unshare, by the child",
        trace.matches("] unshare(").count() == 1
            && trace
                .lines()
                .any(|l| l.starts_with("[child of ") && l.contains("] unshare(CLONE_NEWCGROUP)")),
    );
    keep(arch, "cgroup-trace", &trace);
    boot.step("cgroup pid leak").success().stderr_eq("");
    boot.step("cgroup empty").success().stdout_eq("removed\n");
}

/// As nobody: `--user` makes the demonstration work (the guest's root
/// cgroup, both sides `/`); without it, the child's unshare fails with
/// one line and the `--user` hint.
fn cgroup_as_nobody(arch: Arch) {
    let boot = CGROUP.get(arch);
    boot.step("install busybox").success();
    let step = boot.step("cgroup user as nobody").success().stderr_eq("");
    let inner = step.stdout_field("cgroup namespace: ");
    let outer = step.stdout_field("Parent: cgroup namespace: ");
    step.stdout_contains("\ncgroup in namespace: 0::/\n")
        .check("two cgroup namespaces", inner != outer);
    boot.step("cgroup as nobody")
        .code(1)
        .stdout_eq("")
        .stderr_eq(
            "ns-tool: unshare(CLONE_NEWCGROUP): Operation not permitted (EPERM): creating \
             namespaces requires root (CAP_SYS_ADMIN); run it with sudo, or add --user to create \
             a user namespace first\n",
        );
}

/// The boot for `time`: the demonstration, plain and traced; a COMMAND
/// reading /proc/uptime between two reads of the guest's own; nobody with
/// and without `--user`; an offset the kernel refuses (ERANGE) and one
/// the command line does (exit 2).
static TIME: SharedBoot = SharedBoot::new("time", |vm: &mut Vm| {
    with_busybox_installed(vm)
        .readlink("init time ns", "/proc/1/ns/time")
        .run("time", ["time"])
        .run("time trace", ["--trace", "time", "--monotonic", "-1"])
        .command_as(
            "time uptime",
            0,
            [
                "/bin/sh",
                "-c",
                "cat /proc/uptime; /bin/ns-tool time --boottime 3600 -- cat /proc/uptime; \
                 cat /proc/uptime",
            ],
        )
        .run_as("time user as nobody", NOBODY, ["time", "--user"])
        .run_as("time as nobody", NOBODY, ["time", "--", "true"])
        .run(
            "time erange",
            ["time", "--boottime", "-4611686018", "--", "true"],
        )
        .run("time bad offset", ["time", "--monotonic", "1.5"]);
});

/// A `time` demonstration's numbers: each clock outside and inside (in
/// nanoseconds) and the printed difference; the three namespace links.
struct TimeReport {
    outside: [i128; 2],
    inside: [i128; 2],
    difference: [i64; 2],
    parent_ns: String,
    children_ns: String,
    inside_ns: String,
}

/// Check a `time` demonstration with offsets `offsets` (monotonic,
/// boottime) against its whole shape, and return its numbers.
fn check_time_demo(step: &Assert, offsets: [i64; 2]) -> TimeReport {
    let clock = |v: &str| -> i128 {
        let (s, ns) = v
            .strip_suffix(" ns")
            .and_then(|v| v.split_once(" s "))
            .unwrap_or_else(|| step.fail(&format!("a clock as `S s N ns`: {v:?}")));
        let n = |x: &str| {
            x.parse::<i128>()
                .unwrap_or_else(|_| step.fail(&format!("a number: {x:?}")))
        };
        n(s) * 1_000_000_000 + n(ns)
    };
    let names = ["CLOCK_MONOTONIC", "CLOCK_BOOTTIME"];
    let mut r = TimeReport {
        outside: [0; 2],
        inside: [0; 2],
        difference: [0; 2],
        parent_ns: step.stdout_field("Parent: time namespace: "),
        children_ns: step.stdout_field("Parent: time namespace for children: "),
        inside_ns: step.stdout_field("time namespace: "),
    };
    for (i, name) in names.iter().enumerate() {
        r.outside[i] = clock(&step.stdout_field(&format!("Parent: {name} outside: ")));
        let inside = step.stdout_field(&format!("{name} in namespace: "));
        let (value, diff) = inside
            .strip_suffix(" s)")
            .and_then(|v| v.split_once(" (difference: "))
            .unwrap_or_else(|| step.fail(&format!("{name}: a value and a difference")));
        r.inside[i] = clock(value);
        r.difference[i] = diff
            .parse()
            .unwrap_or_else(|_| step.fail(&format!("a difference: {diff:?}")));
    }
    let child = step.stdout_field("Parent: child ");
    let child = child.split(' ').next().unwrap_or("");
    let line = |name: &str, side: &str, t: i128| {
        format!(
            "{name}{side}{} s {} ns",
            t / 1_000_000_000,
            t % 1_000_000_000
        )
    };
    let want = format!(
        "{}\n{}\nParent: time namespace: {}\nParent: time namespace for children: {}\n\n\
         === Inside the time namespace ===\n{} (difference: {} s)\n{} (difference: {} s)\n\
         time namespace: {}\n=================================\n\n\
         Parent: child {child} exited with status 0\n",
        line("Parent: CLOCK_MONOTONIC", " outside: ", r.outside[0]),
        line("Parent: CLOCK_BOOTTIME", " outside: ", r.outside[1]),
        r.parent_ns,
        r.children_ns,
        line("CLOCK_MONOTONIC", " in namespace: ", r.inside[0]),
        r.difference[0],
        line("CLOCK_BOOTTIME", " in namespace: ", r.inside[1]),
        r.difference[1],
        r.inside_ns,
    );
    step.check(
        &format!("stdout to be exactly:\n{want}"),
        step.stdout() == want,
    );
    for i in 0..2 {
        // Ahead by the offset, plus what passed between the parent's read
        // and the child's (under a second, even under TCG; a second more
        // would be a wrong offset).
        let ahead = r.inside[i] - r.outside[i] - i128::from(offsets[i]) * 1_000_000_000;
        step.check(
            &format!(
                "{}: inside ahead by its offset {}, {ahead} ns off",
                names[i], offsets[i]
            ),
            (0..1_000_000_000).contains(&ahead),
        );
        // Rounded: the offset, or one more if half a second passed.
        let over = r.difference[i] - offsets[i];
        step.check(
            &format!(
                "{}: the difference printed, {}, is the offset",
                names[i], r.difference[i]
            ),
            over == i64::from(ahead >= 500_000_000),
        );
    }
    step.check(
        "time_for_children is the namespace the child is in, not the parent's",
        r.children_ns == r.inside_ns && r.inside_ns != r.parent_ns,
    );
    r
}

/// `time`: both clocks ahead by the default offsets (an hour, a day)
/// inside; the parent stays in the guest's time namespace.
fn time_shifts_both_clocks(arch: Arch) {
    let boot = TIME.get(arch);
    let init_ns = boot.step("init time ns").success().stdout();
    let step = boot.step("time").success().stderr_eq("");
    let r = check_time_demo(&step, [3600, 86400]);
    step.check(
        &format!("the parent in the guest's time namespace, {init_ns}"),
        r.parent_ns == init_ns,
    );
    keep(arch, "time", &step.stdout());
}

/// `time --boottime 3600 -- cat /proc/uptime`, between two reads of the
/// guest's uptime: an hour ahead of the first, less than that plus the
/// time to the second.
fn time_command_sees_uptime_ahead(arch: Arch) {
    let boot = TIME.get(arch);
    let step = boot.step("time uptime").success().stderr_eq("");
    let out = step.stdout();
    let hundredths: Vec<i64> = out
        .lines()
        .map(|l| {
            let first = l.split(' ').next().unwrap_or("");
            let (s, cs) = first.split_once('.').unwrap_or(("x", ""));
            s.parse::<i64>().unwrap_or(-1) * 100 + cs.parse::<i64>().unwrap_or(-1)
        })
        .collect();
    step.check(
        &format!("three uptimes, the middle one 3600 s ahead: {hundredths:?}"),
        hundredths.len() == 3
            && hundredths[0] + 360_000 <= hundredths[1] + 1
            && hundredths[1] <= hundredths[2] + 360_000 + 1,
    );
}

/// `--trace time`: the parent unshares CLONE_NEWTIME and writes the
/// offsets before the fork; clock_gettime by this arch's number on both
/// sides; the demonstration with a negative offset.
fn time_trace_is_the_archs(arch: Arch) {
    let boot = TIME.get(arch);
    let (name, unshare, clock) = match arch {
        Arch::X86_64 => ("x86_64", 272, 228),
        Arch::Aarch64 => ("aarch64", 97, 113),
    };
    let step = boot
        .step("time trace")
        .success()
        .stderr_contains(&format!(
            "] unshare(CLONE_NEWTIME) = 0  ({name} #{unshare})"
        ))
        .stderr_contains("] write(3, \"monotonic -1 0\\x0aboottime 86400 0\\x0a\", 32) = 32  (")
        .stderr_contains(&format!(") = 0  ({name} #{clock})"));
    check_time_demo(&step, [-1, 86400]);
    let trace = step.stderr();
    let reads: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains("] clock_gettime("))
        .collect();
    let at = |what: &str| trace.find(what).unwrap_or(usize::MAX);
    step.check(
        "two clock_gettime calls on each side, CLOCK_MONOTONIC (1) then CLOCK_BOOTTIME (7)",
        reads.len() == 4
            && reads[0].starts_with("[host ")
            && reads[0].contains("clock_gettime(1, {")
            && reads[1].contains("clock_gettime(7, {")
            && reads[2].starts_with("[child of host ")
            && reads[3].starts_with("[child of host "),
    )
    .check(
        "unshare, then the offsets, then the fork",
        at("] unshare(CLONE_NEWTIME)") < at("] write(3, \"monotonic")
            && at("] write(3, \"monotonic") < at("[child of host "),
    );
    keep(arch, "time-trace", &trace);
    keep(arch, "time-negative", &step.stdout());
}

/// Errors: nobody may with `--user` (the time namespace is then the
/// user namespace's); without it, EPERM and the hint; an offset that
/// would take the boot clock below 0 is ERANGE; `1.5` is exit 2.
fn time_errors(arch: Arch) {
    let boot = TIME.get(arch);
    boot.step("install busybox").success();
    let step = boot.step("time user as nobody").success().stderr_eq("");
    check_time_demo(&step, [3600, 86400]);
    boot.step("time as nobody").code(1).stdout_eq("").stderr_eq(
        "ns-tool: unshare(CLONE_NEWTIME): Operation not permitted (EPERM): creating \
         namespaces requires root (CAP_SYS_ADMIN); run it with sudo, or add --user to create \
         a user namespace first\n",
    );
    boot.step("time erange").code(1).stdout_eq("").stderr_eq(
        "ns-tool: write(/proc/self/timens_offsets): Math result not representable (ERANGE): \
         a clock may not go below 0 nor past 4611686018 s\n",
    );
    boot.step("time bad offset")
        .code(2)
        .stdout_eq("")
        .stderr_eq(
            "ns-tool: time: an offset is whole seconds, -4611686018 to 4611686018 (the kernel's \
         limit), not '1.5'\n",
        );
}

/// The boot for `net`: the guest's interfaces before and after, the
/// demonstration, COMMAND reading /proc/net/dev, nobody with and without
/// `--user`, the trace.
static NET: SharedBoot = SharedBoot::new("net", |vm: &mut Vm| {
    let busybox = busybox(vm.arch());
    let dev = ["/bin/cat", "/proc/net/dev"];
    vm.file("/bin/busybox", 0o755, busybox)
        .command_as(
            "install busybox",
            0,
            ["/bin/busybox", "--install", "-s", "/bin"],
        )
        .command_as("dev before", 0, dev)
        .run("net", ["net"])
        .run("net command", ["net", "--", "cat", "/proc/net/dev"])
        .run_as("net user as nobody", NOBODY, ["net", "--user"])
        .run_as("net as nobody", NOBODY, ["net", "--", "true"])
        .run("net trace", ["--trace", "net"])
        .command_as("dev after", 0, dev);
});

/// The names in a /proc/net/dev text, comma-separated, as ns-tool lists
/// them.
fn dev_names(dev: &str) -> String {
    let names: Vec<&str> = dev
        .lines()
        .skip(2)
        .filter_map(|l| l.split_once(':').map(|(n, _)| n.trim()))
        .collect();
    names.join(", ")
}

/// Check a `net` demonstration: the guest's interfaces outside, only lo
/// inside, DOWN then UP, the datagram back, two inodes.
fn check_net_demo<'a>(step: Assert<'a>, outside: &str) -> Assert<'a> {
    let step = step
        .success()
        .stderr_eq("")
        .stdout_contains(&format!("Interfaces outside: {outside}\n"))
        .stdout_contains(
            "\n=== Inside the network namespace ===\nInterfaces inside: lo\n\
             lo before SIOCSIFFLAGS: DOWN, after: UP\nUDP to 127.0.0.1:",
        )
        .stdout_contains(" inside: received \"ns-tool\"\nnet namespace: net:[")
        .stdout_contains(" exited with status 0\n");
    let port = step.stdout_field("UDP to 127.0.0.1:");
    let port = port.split(' ').next().unwrap_or("").parse::<u16>();
    let (out, inside) = (
        step.stdout_field("Parent: net namespace outside: "),
        step.stdout_field("net namespace: "),
    );
    step.check(
        &format!("a port the kernel picked: {port:?}"),
        matches!(port, Ok(1..)),
    )
    .check(
        &format!("two network namespaces: {out} outside, {inside} inside"),
        out.starts_with("net:[") && inside.starts_with("net:[") && out != inside,
    )
}

/// `net`: only lo inside, brought up, a datagram over it; the guest's
/// interfaces the same before and after; as nobody with `--user`.
fn net_only_lo_inside_and_up(arch: Arch) {
    let boot = NET.get(arch);
    boot.step("install busybox").success();
    let before = boot.step("dev before").success().stdout();
    let names = dev_names(&before);
    let step = check_net_demo(boot.step("net"), &names);
    keep(arch, "net", &step.stdout());
    let step = check_net_demo(boot.step("net user as nobody"), &names);
    keep(arch, "net-user", &step.stdout());
    let after = boot.step("dev after").success().stdout();
    boot.step("dev after").check(
        &format!("the guest's interfaces unchanged: {names}"),
        dev_names(&after) == names,
    );
}

/// `net -- cat /proc/net/dev`: lo only; nobody without `--user`: the
/// EPERM line; `--trace net`: the child's unshare(CLONE_NEWNET), the
/// ioctls, the UDP calls, with this arch's numbers.
fn net_command_user_and_trace(arch: Arch) {
    let boot = NET.get(arch);
    let step = boot.step("net command").success().stderr_eq("");
    let dev = step.stdout();
    step.check("only lo inside", dev_names(&dev) == "lo");
    boot.step("net as nobody").code(1).stdout_eq("").stderr_eq(
        "ns-tool: unshare(CLONE_NEWNET): Operation not permitted (EPERM): creating \
         namespaces requires root (CAP_SYS_ADMIN); run it with sudo, or add --user to create \
         a user namespace first\n",
    );
    let (name, nr): (&str, [u32; 6]) = match arch {
        Arch::X86_64 => ("x86_64", [272, 41, 16, 49, 51, 42]),
        Arch::Aarch64 => ("aarch64", [97, 198, 29, 200, 204, 203]),
    };
    let calls = [
        "] unshare(CLONE_NEWNET) = 0",
        "] socket(2, 526338, 0) = 3",
        "] ioctl(3, SIOCSIFFLAGS, \"lo\") = 0",
        "] bind(3, .., 16) = 0",
        "] getsockname(3, .., [16]) = 0",
        "] connect(3, .., 16) = 0",
    ];
    let step = boot.step("net trace").success();
    let trace = step.stderr();
    let mut step = step;
    for (call, nr) in calls.into_iter().zip(nr) {
        let end = format!("  ({name} #{nr})");
        step = step.check(
            &format!("a child's line with `{call}` ending `{end}`"),
            trace
                .lines()
                .any(|l| l.starts_with("[child of host ") && l.contains(call) && l.ends_with(&end)),
        );
    }
    step.check(
        "the datagram written and read back",
        trace.contains("] write(3, \"ns-tool\", 7) = 7  (")
            && trace.contains("] read(3, .., 16) = 7  ("),
    );
    keep(arch, "net-trace", &trace);
}
