//! Cluster and node administration requests as `Connection` methods: leader, cluster membership, role changes, leadership transfer, node metadata and
//! database dumps. Membership changes must go to the leader (open the connection with
//! `Connection::open`, or `connect` to the leader's address).

use super::conn::{unexpected, Connection};
use super::error::{Error, Result};
use super::proto::{DumpFile, NodeInfo, Request, Response, Role};

impl Connection {
    /// Sends an admin request and maps Failure to an error.
    fn admin(&mut self, req: Request, action: &str) -> Result<Response> {
        match self.roundtrip(&req, action)? {
            Response::Failure { code, message } => Err(Error::from_failure(
                code,
                message,
                None,
                action.to_string(),
                self.address(),
            )),
            other => Ok(other),
        }
    }

    fn admin_empty(&mut self, req: Request, action: &str) -> Result<()> {
        match self.admin(req, action)? {
            Response::Empty => Ok(()),
            other => Err(self.unexpected_reply(action, "Empty", &other)),
        }
    }

    fn unexpected_reply(
        &mut self,
        action: &str,
        expected: &'static str,
        found: &Response,
    ) -> Error {
        unexpected(&mut self.t, action, expected, found)
    }

    /// The leader as this node knows it; `None` if it knows none (or is not a voter).
    pub fn leader(&mut self) -> Result<Option<NodeInfo>> {
        let action = "asking for the leader";
        match self.admin(Request::Leader, action)? {
            Response::Server { id, address } if id == 0 && address.is_empty() => Ok(None),
            Response::Server { id, address } => Ok(Some(NodeInfo {
                id,
                address,
                role: None,
            })),
            other => Err(self.unexpected_reply(action, "Server", &other)),
        }
    }

    /// Every member with its role (Cluster format 1).
    pub fn cluster(&mut self) -> Result<Vec<NodeInfo>> {
        let action = "listing the cluster members";
        match self.admin(Request::Cluster { format: 1 }, action)? {
            Response::Servers { nodes } => Ok(nodes),
            other => Err(self.unexpected_reply(action, "Servers", &other)),
        }
    }

    /// Adds a node (it joins as a spare; use `assign` to promote it).
    pub fn add(&mut self, id: u64, address: &str) -> Result<()> {
        let action = format!("adding node {id} at {address}");
        self.admin_empty(
            Request::Add {
                id,
                address: address.to_string(),
            },
            &action,
        )
    }

    /// Changes a member's role.
    pub fn assign(&mut self, id: u64, role: Role) -> Result<()> {
        let action = format!("assigning role {role} to node {id}");
        self.admin_empty(
            Request::Assign {
                id,
                role: Some(role),
            },
            &action,
        )
    }

    /// Removes a member.
    pub fn remove(&mut self, id: u64) -> Result<()> {
        let action = format!("removing node {id}");
        self.admin_empty(Request::Remove { id }, &action)
    }

    /// Transfers leadership to `id` (0 lets raft pick a voter).
    pub fn transfer(&mut self, id: u64) -> Result<()> {
        let action = format!("transferring leadership to node {id}");
        self.admin_empty(Request::Transfer { id }, &action)
    }

    /// This node's `(failure_domain, weight)`.
    pub fn describe(&mut self) -> Result<(u64, u64)> {
        let action = "describing the node";
        match self.admin(Request::Describe { format: 0 }, action)? {
            Response::Metadata {
                failure_domain,
                weight,
            } => Ok((failure_domain, weight)),
            other => Err(self.unexpected_reply(action, "Metadata", &other)),
        }
    }

    /// Sets this node's weight.
    pub fn weight(&mut self, weight: u64) -> Result<()> {
        let action = format!("setting the node weight to {weight}");
        self.admin_empty(Request::Weight { weight }, &action)
    }

    /// The database image and its WAL. An unknown name gives two empty files.
    pub fn dump(&mut self, name: &str) -> Result<Vec<DumpFile>> {
        let action = format!("dumping database {name:?}");
        if let Some(position) = name.find('\0') {
            return Err(Error::NulInText { position, action });
        }
        match self.admin(
            Request::Dump {
                name: name.to_string(),
            },
            &action,
        )? {
            Response::Files { files } => Ok(files),
            other => Err(self.unexpected_reply(&action, "Files", &other)),
        }
    }

    /// Sends Interrupt when no query is being read (a no-op that answers Empty). Partly read
    /// queries are interrupted by dropping their `RowIter`.
    pub fn interrupt(&mut self) -> Result<()> {
        self.admin_empty(Request::Interrupt { db: 0 }, "interrupting")
    }
}
