#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dqmig::fuzzing::models_toml(data));
