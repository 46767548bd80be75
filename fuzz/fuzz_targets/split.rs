#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dqmig_script::fuzzing::split(data));
