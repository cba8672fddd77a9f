//! Containers: records, spec generation and lifecycle.

pub mod create;
pub mod options;
pub mod record;
pub mod run;
pub mod spec;
