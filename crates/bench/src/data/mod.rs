//! The seeded benchmark data, the same for the same seed: records in the
//! layout of the Kaggle arXiv snapshot for the ingestion benchmark
//! ([`snapshot`]), and a synthetic corpus of papers and queries for the
//! search benchmark ([`corpus`]).

pub mod corpus;
pub mod snapshot;
