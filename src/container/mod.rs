//! Containers: records, spec generation and lifecycle.

pub mod commit;
pub mod connect;
pub mod create;
pub mod devices;
pub mod exec;
pub mod files;
pub mod filter;
pub mod limits;
pub mod links;
pub mod list;
pub mod logs;
pub mod mounts;
pub mod namespaces;
pub mod network;
pub mod options;
pub mod processes;
pub mod record;
pub mod remove;
pub mod resources;
pub mod run;
pub mod spec;
pub mod start;
pub mod state;
pub mod stop;
pub mod wait;
