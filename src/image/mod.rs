//! Images: references, the image store, archive formats and layer extraction.

pub mod archive;
pub mod blobinfo;
pub mod change;
pub mod config;
pub mod fetch;
pub mod filter;
pub mod history;
pub mod import;
pub mod ingest;
pub mod inspect;
pub mod keepid;
pub mod layer;
pub mod lease;
pub mod overlay;
pub mod reference;
pub mod save;
pub mod store;
pub mod tarball;
pub mod tarsplit;
