#![no_main]
//! Arbitrary bytes as a script of call operations, platform reports and
//! timeouts (three bytes a step): the call model never panics, keeps its
//! invariants after every step, and its events always build a valid call
//! detail record. The driver and the list of invariants are shared with the
//! property tests in `call-core/tests/common/model.rs`.

use libfuzzer_sys::fuzz_target;

#[path = "../../call-core/tests/common/model.rs"]
#[allow(dead_code, unreachable_pub)]
mod model;

fuzz_target!(|data: &[u8]| {
    // 3 bytes a step; 4 KiB is over a thousand steps, far more than any call.
    let data = &data[..data.len().min(4096)];
    if let Err(broken) = model::run(data) {
        panic!("invariant broken: {broken}");
    }
});
