//! Walk arbitrary bytes as getdents64 records, as `ns-tool proc` walks
//! what the kernel wrote: never a panic or a read outside the buffer,
//! every step forward, every name ending before its record does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ns_tool::cmd::proc::entry;

fuzz_target!(|data: &[u8]| {
    let mut at = 0;
    while let Some((name, next)) = entry(data, at) {
        assert!(next > at && next <= data.len());
        assert!(at + 19 + name.to_bytes().len() < next);
        at = next;
    }
});
