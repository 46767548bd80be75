//! Which process listens at a node address, read from Linux's `/proc`: the socket's inode
//! from `/proc/net/tcp` (IPv4 `ip:port`) or `/proc/net/tcp6` (`[v6]:port`) or `/proc/net/unix` (`@name`), then whether one of
//! the process's open files is that socket. Used to tell that the node answering at an
//! embedded URL's address is the one that owns its data dir, not another project's.

use std::net::SocketAddr;

/// Whether process `pid` holds the listening socket of `address`. `None` when that cannot
/// be told (no `/proc`, the process's files are not readable, an address form this does not
/// know).
pub fn listens(address: &str, pid: u32) -> Option<bool> {
    let inodes = listening_inodes(address)?;
    if inodes.is_empty() {
        return Some(false);
    }
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    let mut any = false;
    for fd in fds.flatten() {
        any = true;
        let Ok(target) = std::fs::read_link(fd.path()) else {
            continue;
        };
        let target = target.to_string_lossy();
        if let Some(inode) = target
            .strip_prefix("socket:[")
            .and_then(|t| t.strip_suffix(']'))
        {
            if inodes.iter().any(|i| i == inode) {
                return Some(true);
            }
        }
    }
    // An empty fd list means we may not read it (another user): cannot tell.
    any.then_some(false)
}

/// The inodes of the listening sockets at `address`.
fn listening_inodes(address: &str) -> Option<Vec<String>> {
    if let Some(name) = address.strip_prefix('@') {
        let table = std::fs::read_to_string("/proc/net/unix").ok()?;
        // Num RefCount Protocol Flags Type St Inode Path; a listener has flags 00010000.
        return Some(
            table
                .lines()
                .skip(1)
                .filter_map(|l| {
                    let f: Vec<&str> = l.split_whitespace().collect();
                    (f.len() >= 8 && f[3] == "00010000" && f[7] == format!("@{name}"))
                        .then(|| f[6].to_string())
                })
                .collect(),
        );
    }
    let addr: SocketAddr = address.parse().ok()?;
    // The kernel prints the address as raw 32-bit words in host order, then the port.
    let (table, octets): (&str, Vec<u8>) = match addr {
        SocketAddr::V4(a) => ("/proc/net/tcp", a.ip().octets().to_vec()),
        SocketAddr::V6(a) => ("/proc/net/tcp6", a.ip().octets().to_vec()),
    };
    let words = |bytes: &[u8]| -> String {
        bytes
            .chunks(4)
            .map(|c| format!("{:08X}", u32::from_ne_bytes([c[0], c[1], c[2], c[3]])))
            .collect()
    };
    let wanted = format!("{}:{:04X}", words(&octets), addr.port());
    let any = format!("{}:{:04X}", words(&vec![0; octets.len()]), addr.port());
    let table = std::fs::read_to_string(table).ok()?;
    Some(
        table
            .lines()
            .skip(1)
            .filter_map(|l| {
                // sl local_address rem_address st ... uid timeout inode
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() >= 10 && f[3] == "0A" && (f[1] == wanted || f[1] == any))
                    .then(|| f[9].to_string())
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_listener_is_ours_and_a_free_port_is_nobodys() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = l.local_addr().unwrap().to_string();
        assert_eq!(listens(&address, std::process::id()), Some(true));
        // pid 1 (init) does not hold our socket.
        assert_ne!(listens(&address, 1), Some(true));
        drop(l);
        assert_eq!(listens(&address, std::process::id()), Some(false));
        assert_eq!(listens("not an address", std::process::id()), None);
    }

    #[test]
    fn an_ipv6_listener_is_found_in_tcp6() {
        let Ok(l) = std::net::TcpListener::bind("[::1]:0") else {
            eprintln!("skipped: no IPv6 loopback");
            return;
        };
        let address = l.local_addr().unwrap().to_string();
        assert!(address.starts_with("[::1]:"), "{address}");
        assert_eq!(listens(&address, std::process::id()), Some(true));
        drop(l);
        assert_eq!(listens(&address, std::process::id()), Some(false));
    }
}
