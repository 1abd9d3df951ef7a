//! The subcommands, one module each.

pub mod bench;
pub mod ingest;
pub mod live;
pub mod serve;
