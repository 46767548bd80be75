//! Exclusive lock on a node data directory: `<data_dir>/dqmig.lock`, locked with `flock`
//! (std `File::try_lock`), so two nodes — in two processes or in one — never run on the same
//! raft state. Released when the `DataDirLock` is dropped.
//!
//! The file names its owner for the processes that find it locked ([`LockOwner`]): the
//! pid, the address the node serves, and whether the node lives for one command (an
//! embedded `dqlite:///` URL: others wait for it to finish) or serves until stopped (`dqmig
//! node start`, an app's node: others may use it as clients). One `key=value` per line;
//! an old file holding only a pid still reads.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::NodeError;

/// File name of the lock inside the data directory.
pub const LOCK_FILE: &str = "dqmig.lock";

/// Who holds a data directory's lock, as written in the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct LockOwner {
    /// The owning process.
    pub pid: Option<u32>,
    /// The address its node serves (`IPv4:port` or `@name`).
    pub address: Option<String>,
    /// True when the node lives for one command and stops when it is done.
    pub transient: bool,
}

impl LockOwner {
    fn to_text(&self) -> String {
        let mut out = String::new();
        if let Some(pid) = self.pid {
            out.push_str(&format!("pid={pid}\n"));
        }
        if let Some(a) = &self.address {
            out.push_str(&format!("address={a}\n"));
        }
        out.push_str(if self.transient {
            "kind=command\n"
        } else {
            "kind=server\n"
        });
        out
    }

    fn parse(text: &str) -> LockOwner {
        let mut owner = LockOwner::default();
        for line in text.lines().map(str::trim) {
            match line.split_once('=') {
                Some(("pid", v)) => owner.pid = v.parse().ok(),
                Some(("address", v)) => owner.address = Some(v.to_string()),
                Some(("kind", v)) => owner.transient = v == "command",
                // The first format: the pid alone.
                None => owner.pid = owner.pid.or(line.parse().ok()),
                _ => {}
            }
        }
        owner
    }
}

/// A held lock; dropping it releases the lock (the file stays, emptied).
#[derive(Debug)]
pub struct DataDirLock {
    file: File,
}

impl DataDirLock {
    /// Take the lock on `data_dir` (which must exist) for this process, or say who holds it.
    ///
    /// # Errors
    /// [`NodeError::DataDirInUse`] naming the owner when another holder has it;
    /// [`NodeError::Lock`] when the file cannot be opened, locked or written.
    pub fn acquire(data_dir: &Path) -> Result<DataDirLock, NodeError> {
        DataDirLock::acquire_as(data_dir, None, false)
    }

    /// [`DataDirLock::acquire`], recording the address the node serves and whether it lives
    /// for one command (`transient`).
    ///
    /// # Errors
    /// As [`DataDirLock::acquire`].
    pub fn acquire_as(
        data_dir: &Path,
        address: Option<&str>,
        transient: bool,
    ) -> Result<DataDirLock, NodeError> {
        let path = data_dir.join(LOCK_FILE);
        let lock_err = |source| NodeError::Lock {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(lock_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let owner = read_owner(&mut file);
                return Err(NodeError::DataDirInUse {
                    path: data_dir.to_path_buf(),
                    pid: owner.pid,
                    owner,
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(lock_err(e)),
        }
        file.set_len(0).map_err(lock_err)?;
        file.seek(SeekFrom::Start(0)).map_err(lock_err)?;
        let owner = LockOwner {
            pid: Some(std::process::id()),
            address: address.map(str::to_string),
            transient,
        };
        file.write_all(owner.to_text().as_bytes())
            .map_err(lock_err)?;
        file.flush().map_err(lock_err)?;
        Ok(DataDirLock { file })
    }

    /// Path of the lock file for a data directory.
    pub fn path_for(data_dir: &Path) -> PathBuf {
        data_dir.join(LOCK_FILE)
    }
}

impl Drop for DataDirLock {
    fn drop(&mut self) {
        // Best effort: an empty file means "no owner"; closing the file releases the flock.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

fn read_owner(file: &mut File) -> LockOwner {
    let mut text = String::new();
    match file.read_to_string(&mut text) {
        Ok(_) => LockOwner::parse(&text),
        Err(_) => LockOwner::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_in_same_process_is_refused_with_our_pid() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDirLock::acquire(dir.path()).unwrap();
        match DataDirLock::acquire(dir.path()) {
            Err(NodeError::DataDirInUse { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("expected DataDirInUse, got {other:?}"),
        }
        drop(first);
        let again = DataDirLock::acquire_as(dir.path(), Some("127.0.0.1:9001"), true).unwrap();
        match DataDirLock::acquire(dir.path()) {
            Err(NodeError::DataDirInUse { owner, .. }) => {
                assert_eq!(owner.pid, Some(std::process::id()));
                assert_eq!(owner.address.as_deref(), Some("127.0.0.1:9001"));
                assert!(owner.transient);
            }
            other => panic!("expected DataDirInUse, got {other:?}"),
        }
        drop(again);
    }

    #[test]
    fn owner_text_round_trips_and_the_old_pid_only_format_reads() {
        let o = LockOwner {
            pid: Some(42),
            address: Some("@x".into()),
            transient: false,
        };
        assert_eq!(LockOwner::parse(&o.to_text()), o);
        assert_eq!(LockOwner::parse("1234\n").pid, Some(1234));
        assert_eq!(LockOwner::parse(""), LockOwner::default());
    }
}
