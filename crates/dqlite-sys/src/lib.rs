//! Raw FFI declarations for the node API of libdqlite 1.11.1 (`/usr/include/dqlite.h`,
//! Debian 12's `libdqlite-dev`). Hand-written rather than bindgen-generated so the build
//! needs no libclang. Nothing here is safe; `dqmig::node` is the safe owner.
//!
//! The low-level `dqlite_vfs_*` functions are not declared: embedding a node does not need
//! them.
#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_int, c_uint, c_ulonglong, c_void};

/// Opaque node handle.
#[repr(C)]
pub struct dqlite_node {
    _private: [u8; 0],
}

pub type dqlite_node_id = c_ulonglong;

pub const DQLITE_ERROR: c_int = 1;
pub const DQLITE_MISUSE: c_int = 2;
pub const DQLITE_NOMEM: c_int = 3;

/// Role values used by `dqlite_node_info_ext` (and on the wire).
pub const DQLITE_VOTER: u64 = 0;
pub const DQLITE_STANDBY: u64 = 1;
pub const DQLITE_SPARE: u64 = 2;

#[repr(C)]
pub struct dqlite_node_info {
    pub id: dqlite_node_id,
    pub address: *const c_char,
}

/// All four fields are u64; `size` must be set to `DQLITE_NODE_INFO_EXT_SZ_ORIG`.
#[repr(C)]
pub struct dqlite_node_info_ext {
    pub size: u64,
    pub id: u64,
    /// Pointer to a NUL-terminated address, stored as u64.
    pub address: u64,
    pub dqlite_role: u64,
}

pub const DQLITE_NODE_INFO_EXT_SZ_ORIG: u64 = 32;

/// Custom dialer for node-to-node connections; runs on a libuv worker thread.
pub type dqlite_connect_func =
    Option<unsafe extern "C" fn(arg: *mut c_void, address: *const c_char, fd: *mut c_int) -> c_int>;

extern "C" {
    pub fn dqlite_version_number() -> c_int;
    pub fn dqlite_node_create(
        id: dqlite_node_id,
        address: *const c_char,
        data_dir: *const c_char,
        n: *mut *mut dqlite_node,
    ) -> c_int;
    pub fn dqlite_node_destroy(n: *mut dqlite_node);
    pub fn dqlite_node_set_bind_address(n: *mut dqlite_node, address: *const c_char) -> c_int;
    pub fn dqlite_node_get_bind_address(n: *mut dqlite_node) -> *const c_char;
    pub fn dqlite_node_set_connect_func(
        n: *mut dqlite_node,
        f: dqlite_connect_func,
        arg: *mut c_void,
    ) -> c_int;
    pub fn dqlite_node_set_network_latency(n: *mut dqlite_node, nanoseconds: c_ulonglong) -> c_int;
    pub fn dqlite_node_set_network_latency_ms(n: *mut dqlite_node, milliseconds: c_uint) -> c_int;
    pub fn dqlite_node_set_failure_domain(n: *mut dqlite_node, code: c_ulonglong) -> c_int;
    pub fn dqlite_node_set_snapshot_params(
        n: *mut dqlite_node,
        snapshot_threshold: c_uint,
        snapshot_trailing: c_uint,
    ) -> c_int;
    pub fn dqlite_node_start(n: *mut dqlite_node) -> c_int;
    pub fn dqlite_node_stop(n: *mut dqlite_node) -> c_int;
    pub fn dqlite_node_recover(
        n: *mut dqlite_node,
        infos: *mut dqlite_node_info,
        n_info: c_int,
    ) -> c_int;
    pub fn dqlite_node_recover_ext(
        n: *mut dqlite_node,
        infos: *mut dqlite_node_info_ext,
        n_info: c_int,
    ) -> c_int;
    pub fn dqlite_node_errmsg(n: *mut dqlite_node) -> *const c_char;
    pub fn dqlite_generate_node_id(address: *const c_char) -> dqlite_node_id;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_reports_the_1_11_header_number() {
        // 1.11.1 reports 11000 ("1.10.0"): the header's number was never bumped.
        let v = unsafe { dqlite_version_number() };
        assert_eq!(v, 11000);
    }
}
