//! Exclusive lock on a node data directory: `<data_dir>/dqmig.lock`, locked with `flock`
//! (std `File::try_lock`) and holding the owner's pid, so two nodes — in two processes or in
//! one — never run on the same raft state. Released when the `DataDirLock` is dropped.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::NodeError;

/// File name of the lock inside the data directory.
pub const LOCK_FILE: &str = "dqmig.lock";

/// A held lock; dropping it releases the lock (the file stays, emptied).
#[derive(Debug)]
pub struct DataDirLock {
    file: File,
}

impl DataDirLock {
    /// Take the lock on `data_dir` (which must exist), or say who holds it.
    pub fn acquire(data_dir: &Path) -> Result<DataDirLock, NodeError> {
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
                return Err(NodeError::DataDirInUse {
                    path: data_dir.to_path_buf(),
                    pid: read_pid(&mut file),
                })
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(lock_err(e)),
        }
        file.set_len(0).map_err(lock_err)?;
        file.seek(SeekFrom::Start(0)).map_err(lock_err)?;
        writeln!(file, "{}", std::process::id()).map_err(lock_err)?;
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

fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
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
        let again = DataDirLock::acquire(dir.path()).unwrap();
        drop(again);
    }
}
