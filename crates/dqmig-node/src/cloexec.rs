//! Close-on-exec for the sockets libdqlite opens. libdqlite 1.11 creates its listening
//! socket without `FD_CLOEXEC`, so every child process the application spawns while a node
//! runs inherits it and keeps the port bound after the node stopped (a later node on the
//! same address then fails with "Address already in use"). The node notes the process's
//! socket descriptors before libdqlite opens any and marks the new ones close-on-exec after
//! binding and after starting. Linux only (`/proc/self/fd`); elsewhere nothing is done.

use std::collections::BTreeSet;

/// The socket descriptors of this process at one moment.
#[derive(Debug, Default)]
pub(crate) struct Sockets(BTreeSet<i32>);

impl Sockets {
    /// The process's socket descriptors now.
    pub(crate) fn now() -> Sockets {
        let mut out = BTreeSet::new();
        if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
            for entry in dir.flatten() {
                let Some(fd) = entry
                    .file_name()
                    .to_str()
                    .and_then(|n| n.parse::<i32>().ok())
                else {
                    continue;
                };
                let is_socket = std::fs::read_link(entry.path())
                    .is_ok_and(|t| t.to_string_lossy().starts_with("socket:"));
                if is_socket {
                    out.insert(fd);
                }
            }
        }
        Sockets(out)
    }

    /// Marks close-on-exec every socket descriptor opened since `self` was taken.
    pub(crate) fn mark_new_cloexec(&self) {
        for fd in Sockets::now().0.difference(&self.0) {
            // SAFETY: fcntl on a descriptor number only reads and sets its flags; a number
            // closed meanwhile makes it fail with EBADF, which is ignored.
            unsafe {
                let flags = libc::fcntl(*fd, libc::F_GETFD);
                if flags >= 0 && flags & libc::FD_CLOEXEC == 0 {
                    libc::fcntl(*fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
                }
            }
        }
    }
}
