//! `skiff compose`: the compose project model and its loader.
//!
//! One concern per file: [`files`] finds a project's files and settles its name, [`dotenv`]
//! reads `.env` and `env_file` files, [`yaml`] parses with anchors, merge keys and tags,
//! [`validate`] checks keys against the schema, [`extends`] builds services on others, [`include`] brings in other files' resources, [`template`] and [`interpolate`] replace
//! `$VAR` references, [`merge`] merges several files, [`normalize`] adds what docker compose implies ([`ports`] and [`volumes`] in the long syntax), [`project`] puts these together, and
//! [`emit`] prints the result.

mod dotenv;
pub mod emit;
mod extends;
mod files;
mod include;
mod interpolate;
mod merge;
mod normalize;
mod ports;
pub mod project;
mod template;
mod validate;
mod volumes;
mod yaml;

/// compose-go's loader test data, and reading its files as trees, for the loader's tests.
#[cfg(test)]
mod test_files {
    use super::yaml::{parse, Node};
    use std::path::Path;

    pub const LOADER: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/testdata/compose/compose-go/loader-testdata/"
    );

    pub fn read(path: &Path) -> anyhow::Result<Node> {
        parse(&std::fs::read_to_string(path)?, &path.display().to_string())
    }
}
