//! The first bytes of a file: the #! parser must never panic, and the
//! interpreter it names is a non-empty word of the first line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ns_tool::engine::command::shebang;

fuzz_target!(|data: &[u8]| {
    if let Some(interp) = shebang(data) {
        assert!(!interp.is_empty());
        assert!(!interp.contains(&b'\n') && !interp.contains(&b' '));
        assert!(data.starts_with(b"#!"));
    }
});
