//! Unit tests of the script layer: parsing, writing, round trips, the graph and plans.

mod classify;
mod files;
mod graph;
mod roundtrip;
