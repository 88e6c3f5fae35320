//! /proc/PID/status text as the kernel could write it, or garbage: the
//! dispositions parser must never panic, and what it accepts must be
//! consistent (a signal is never both caught and ignored by default).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ns_tool::engine::signals::Dispositions;

fuzz_target!(|data: &[u8]| {
    if let Some(d) = Dispositions::parse(data) {
        for sig in 1..=64 {
            if d.default_action(sig) {
                assert!(!d.caught.contains(sig) && !d.ignored.contains(sig));
            }
        }
    }
});
