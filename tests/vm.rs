//! ns-tool in real Linux VMs (QEMU), on x86_64 and aarch64.
//!
//! These tests boot virtual machines, so plain `cargo test` does not run
//! them: they are `#[ignore]`d, and `cargo make test-vm` runs them
//! explicitly (`--ignored`), after building ns-tool, the guest's /init and
//! fetching kernels. Asked to run without a kernel or QEMU, they fail with
//! one line on what to install; they never pass by skipping.
//!
//! Each boot serves several scenarios: the scenarios that can share a boot
//! add their steps to `SHARED`, and each test checks its own steps. See
//! docs/testing.md, "Adding a scenario".

use ns_tool_vm::{Arch, Assert, Boot, SharedBoot, Vm, NOBODY};

/// The boot most scenarios share: ns-tool run by /init, as root and as
/// nobody, and /init's own PID namespace.
static SHARED: SharedBoot = SharedBoot::new("shared", |vm: &mut Vm| {
    vm.run("pid as root", ["pid"])
        .run_as("pid as nobody", NOBODY, ["pid"])
        .readlink("init pid ns", "/proc/1/ns/pid");
});

/// The boot where ns-tool is the machine's PID 1: /init mounts /proc and
/// /dev, notes its PID namespace, then exec's `ns-tool pid`, which keeps
/// PID 1. Its exit ends the boot.
static AS_INIT: SharedBoot = SharedBoot::new("as-init", |vm: &mut Vm| {
    vm.readlink("init pid ns", "/proc/1/ns/pid")
        .exec_as_init("ns-tool as init", ["pid"]);
});

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
    pid_as_machine_init
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
    check_pid_output(boot.step("pid as root").stderr_eq(""));
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
