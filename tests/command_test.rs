//! `ns-tool pid [OPTIONS] -- COMMAND`: COMMAND as PID 1, exit statuses,
//! signals, --init, --mount-proc, --user, --nest, the relay options (-g, -e,
//! --rewrite, --pause) and teardown, on the host.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::{
    bin, kill, marker, nspid_fields, run, run_as_nobody, sleepers, text, wait_until, watchdog,
    Watchdog,
};
use linux_raw_sys::general::{SIGKILL, SIGTERM};

/// Start ns-tool with piped output, under a 20 s watchdog: a broken build
/// makes the test fail (SIGKILL, exit 137 or an EOF) instead of hanging.
fn spawn(args: &[&str]) -> (Child, Watchdog) {
    let child = Command::new(bin())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ns-tool");
    let dog = watchdog(child.id(), 20);
    (child, dog)
}

/// Read stdout lines until one equals `want`.
fn wait_for_line(child: &mut Child, want: &str) -> BufReader<std::process::ChildStdout> {
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "EOF before {want:?}");
        if line.trim_end() == want {
            return out;
        }
    }
}

#[test]
fn command_is_pid_1_and_prints_only_its_own_output() {
    let out = run(&["pid", "--", "sh", "-c", "echo $$; echo ppid=$PPID"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stdout), "1\nppid=0\n");
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn double_dash_is_optional() {
    let out = run(&["pid", "sh", "-c", "echo $$"]);
    assert_eq!(text(&out.stdout), "1\n");
}

#[test]
fn exit_status_is_commands() {
    for code in [0, 1, 7, 42, 255] {
        let out = run(&["pid", "--", "sh", "-c", &format!("exit {code}")]);
        assert_eq!(out.status.code(), Some(code), "{out:?}");
    }
    let out = run(&["pid", "--init", "--", "sh", "-c", "exit 9"]);
    assert_eq!(out.status.code(), Some(9), "{out:?}");
}

#[test]
fn killed_by_a_signal_is_128_plus_n_and_said_on_stderr() {
    // Under --init COMMAND is PID 2, so it can kill itself.
    let out = run(&["pid", "--init", "--", "sh", "-c", "kill -9 $$"]);
    assert_eq!(out.status.code(), Some(137), "{out:?}");
    assert_eq!(
        text(&out.stderr),
        "ns-tool: sh was killed by signal 9 (SIGKILL)\n"
    );

    // Without --init COMMAND is PID 1 and only SIGKILL from outside ends it.
    let m = marker(1);
    let (child, _dog) = spawn(&["pid", "--", "sleep", &m]);
    assert!(wait_until(5, || sleepers(&m).len() == 1), "sleep started");
    kill(sleepers(&m)[0], SIGKILL);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(137), "{out:?}");
    assert_eq!(
        text(&out.stderr),
        "ns-tool: sleep was killed by signal 9 (SIGKILL)\n"
    );
}

#[test]
fn missing_and_unrunnable_commands_exit_127_and_126() {
    let out = run(&["pid", "--", "ns-tool-no-such-command"]);
    assert_eq!(out.status.code(), Some(127), "{out:?}");
    assert_eq!(
        text(&out.stderr),
        "ns-tool: execve(ns-tool-no-such-command): No such file or directory (ENOENT): \
         command not found in PATH\n"
    );
    let plain = common::world_executable_copy("plain").with_file_name("plain");
    std::fs::write(&plain, "not a program").unwrap();
    let out = run(&["pid", "--init", "--", plain.to_str().unwrap()]);
    std::fs::remove_dir_all(plain.parent().unwrap()).unwrap();
    assert_eq!(out.status.code(), Some(126), "{out:?}");
    assert_eq!(
        text(&out.stderr),
        format!(
            "ns-tool: execve({}): Permission denied (EACCES): not executable (no execute \
             permission, a noexec mount, or a directory on the way that cannot be searched)\n",
            plain.display()
        )
    );
}

#[test]
fn signals_are_forwarded_to_command() {
    // Without --init the shell is PID 1: its trap is a handler, so the
    // signal the host-side ns-tool passes on is delivered. With --init it
    // goes through ns-tool's PID-1 loop first.
    for init in [false, true] {
        let script = "trap 'echo got TERM; exit 3' TERM; echo ready; while :; do sleep 0.05; done";
        let mut args = vec!["pid"];
        if init {
            args.push("--init");
        }
        args.extend(["--", "sh", "-c", script]);
        let (mut child, _dog) = spawn(&args);
        let mut out = wait_for_line(&mut child, "ready");
        kill(child.id(), SIGTERM);
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(rest, "got TERM\n", "init={init}");
        assert_eq!(status.code(), Some(3), "init={init}");
    }
}

#[test]
fn init_reaps_orphans() {
    // The inner shell exits at once, orphaning its background sleep, which
    // the kernel reparents to the namespace's PID 1. After the sleep ends,
    // the namespace's own /proc must show no zombie.
    let script = "sh -c 'sleep 0.1 &'; sleep 0.5; \
                  for s in /proc/[0-9]*/stat; do read -r l < $s && echo \"$l\"; done";
    let out = run(&["pid", "--init", "--mount-proc", "--", "sh", "-c", script]);
    assert!(out.status.success(), "{out:?}");
    let stats = text(&out.stdout);
    // Fields: pid (comm) state ...; comm has no spaces here.
    let states: Vec<(&str, &str)> = stats
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0], f[2])
        })
        .collect();
    assert!(
        states.iter().any(|(pid, _)| *pid == "1"),
        "PID 1 listed: {stats}"
    );
    assert!(
        !states.iter().any(|(_, st)| *st == "Z"),
        "a zombie remains: {stats}"
    );
}

#[test]
fn pid_1_death_kills_the_rest_of_the_namespace() {
    let m = marker(3);
    let out = run(&[
        "pid",
        "--",
        "sh",
        "-c",
        &format!("sleep {m} & sleep 0.2; exit 5"),
    ]);
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    assert!(
        wait_until(5, || sleepers(&m).is_empty()),
        "the background sleep was killed"
    );
}

#[test]
fn sigkill_of_ns_tool_leaves_nothing_of_the_namespace() {
    for init in [false, true] {
        let m = marker(if init { 5 } else { 4 });
        let mut args = vec!["pid"];
        if init {
            args.push("--init");
        }
        let script = format!("sleep {m} & sleep {m}");
        args.extend(["--", "sh", "-c", &script]);
        let (mut child, _dog) = spawn(&args);
        assert!(
            wait_until(5, || sleepers(&m).len() == 2),
            "both sleeps started"
        );
        kill(child.id(), SIGKILL);
        child.wait().unwrap();
        assert!(
            wait_until(5, || sleepers(&m).is_empty()),
            "init={init}: processes of the namespace survived: {:?}",
            sleepers(&m)
        );
    }
}

#[test]
fn mount_proc_shows_only_the_namespace_and_leaves_the_host_table_alone() {
    let before = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let out = run(&["pid", "--mount-proc", "--", "ls", "/proc"]);
    assert!(out.status.success(), "{out:?}");
    let pids: Vec<String> = text(&out.stdout)
        .lines()
        .filter(|l| l.bytes().all(|b| b.is_ascii_digit()))
        .map(String::from)
        .collect();
    assert_eq!(pids, ["1"], "only ls itself, PID 1");
    let after = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert_eq!(before, after, "host mount table changed");
}

#[test]
fn user_namespace_lets_an_unprivileged_user_in() {
    let out = run_as_nobody(&["pid", "--user", "--", "sh", "-c", "echo $$; id -u"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stdout), "1\n0\n", "PID 1 and root inside");
    // --map-root-user is the same, and the demonstration works too.
    let out = run_as_nobody(&["pid", "--map-root-user"]);
    assert!(out.status.success(), "{out:?}");
    assert!(text(&out.stdout).contains("PID inside namespace: 1\n"));
    assert!(text(&out.stdout).contains("Success! We are PID 1 in the new namespace\n"));
}

#[test]
fn nest_3_shows_four_nspid_levels() {
    let out = run(&["pid", "--nest", "3"]);
    assert!(out.status.success(), "{out:?}");
    let stdout = text(&out.stdout);
    let nspid = stdout.lines().find(|l| l.starts_with("NSpid:")).unwrap();
    let ours = std::fs::read_to_string("/proc/self/status").unwrap();
    let our_levels = nspid_fields(ours.lines().find(|l| l.starts_with("NSpid:")).unwrap()).len();
    let fields = nspid_fields(nspid);
    assert_eq!(fields.len(), our_levels + 3, "{nspid}");
    assert_eq!(*fields.last().unwrap(), 1);
    assert!(stdout.contains("Level 1: PID 1 inside; creating PID namespace level 2"));
    assert!(stdout.contains("Level 2: PID 1 inside; creating PID namespace level 3"));

    // And with a COMMAND: three levels below us.
    let out = run(&[
        "pid",
        "--nest",
        "3",
        "--",
        "sh",
        "-c",
        "grep NSpid /proc/self/status",
    ]);
    assert!(out.status.success(), "{out:?}");
    let fields = nspid_fields(text(&out.stdout).trim_end());
    assert_eq!(fields.len(), our_levels + 3);
}

#[test]
fn nest_over_the_kernel_limit_fails_clearly() {
    let out = run(&["pid", "--nest", "33"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "ns-tool: pid: --nest takes 1 to 32 levels (the kernel nests PID namespaces at most \
         32 deep), not '33'\n"
    );
}

/// `pid` takes init's relay options (src/engine/signals.rs `Relay`), with and
/// without --init: a TERM to ns-tool arrives as USR1, or not at all.
#[test]
fn rewrite_passes_a_signal_on_as_another_or_drops_it() {
    let script = "trap 'echo got USR1; exit 7' USR1; trap 'echo got TERM; exit 8' TERM; \
                  echo ready; i=0; while [ $i -lt 40 ]; do sleep 0.05; i=$((i+1)); done; echo timeout";
    for init in [false, true] {
        for (rewrite, want, code) in [("15:10", "got USR1\n", 7), ("15:0", "timeout\n", 0)] {
            let mut args = vec!["pid", "--rewrite", rewrite];
            if init {
                args.push("--init");
            }
            args.extend(["--", "sh", "-c", script]);
            let (mut child, _dog) = spawn(&args);
            let mut out = wait_for_line(&mut child, "ready");
            kill(child.id(), SIGTERM);
            let mut rest = String::new();
            std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
            let status = child.wait().unwrap();
            assert_eq!(rest, want, "init={init} {rewrite}");
            assert_eq!(status.code(), Some(code), "init={init} {rewrite}");
        }
    }
}

#[test]
fn exit_zero_maps_only_the_statuses_given() {
    for init in [&[][..], &["--init"]] {
        for (status, want) in [("3", 0), ("4", 0), ("5", 5), ("0", 0)] {
            let mut args = vec!["pid", "-e", "3", "--exit-zero=4"];
            args.extend(init);
            let script = format!("exit {status}");
            args.extend(["--", "sh", "-c", &script]);
            let out = run(&args);
            assert_eq!(out.status.code(), Some(want), "{args:?}: {out:?}");
        }
    }
}

/// --group: the TERM goes to COMMAND's whole process group, so a
/// grandchild that shares it hears it too; without, only COMMAND does.
#[test]
fn group_signals_the_whole_process_group() {
    // The grandchild gives up after about 2 s, so that COMMAND ends.
    // COMMAND sets its trap before it starts the grandchild, which says
    // "ready": with the trap set after, a loaded machine could deliver the
    // TERM first and kill COMMAND outright (seen under load).
    let script = "trap 'echo child TERM' TERM; \
                  sh -c 'trap \"echo grandchild TERM; exit 1\" TERM; echo ready; i=0; \
                  while [ $i -lt 40 ]; do sleep 0.05; i=$((i+1)); done' & \
                  wait; wait; echo end";
    for init in [false, true] {
        for group in [false, true] {
            let mut args = vec!["pid"];
            if group {
                args.push("--group");
            }
            if init {
                args.push("--init");
            }
            args.extend(["--", "sh", "-c", script]);
            let (mut child, _dog) = spawn(&args);
            let mut out = wait_for_line(&mut child, "ready");
            kill(child.id(), SIGTERM);
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            let mut rest = line.clone();
            if group {
                // Both hear it; the order is the scheduler's.
                out.read_line(&mut line).unwrap();
                rest = line;
            }
            let mut tail = String::new();
            std::io::Read::read_to_string(&mut out, &mut tail).unwrap();
            child.wait().unwrap();
            let all = format!("{rest}{tail}");
            assert_eq!(
                all.contains("grandchild TERM"),
                group,
                "init={init} group={group}: {all:?}"
            );
            assert!(
                all.contains("child TERM"),
                "init={init} group={group}: {all:?}"
            );
        }
    }
}

/// `pid --pause`: the namespace's PID 1 runs nothing (a pod's infra
/// container) and ends with 0 at SIGTERM.
#[test]
fn pause_holds_the_namespace_until_sigterm() {
    let (mut child, _dog) = spawn(&["pid", "--pause"]);
    let pid = child.id();
    // Its PID 1 (ns-tool's child) is there and pausing.
    assert!(
        wait_until(10, || std::fs::read_to_string(format!(
            "/proc/{pid}/task/{pid}/children"
        ))
        .is_ok_and(|c| !c.trim().is_empty())),
        "no namespace PID 1 under ns-tool"
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(
        child.try_wait().unwrap().is_none(),
        "--pause ended by itself"
    );
    kill(pid, SIGTERM);
    assert_eq!(child.wait().unwrap().code(), Some(0));
}
