//! `skiff compose`: docker compose's commands over a compose project. Today the commands that
//! need only the project's model.

use crate::compose::emit::to_yaml;
use crate::compose::project::{load, Options};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Args)]
pub struct ComposeArgs {
    /// Compose configuration files, merged in order ("-" reads standard input)
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Project name
    #[arg(short = 'p', long, value_name = "NAME")]
    project_name: Option<String>,
    /// Alternate working directory (default: the directory of the first file)
    #[arg(long, value_name = "DIR")]
    project_directory: Option<PathBuf>,
    /// Alternate environment files (default: the project directory's .env)
    #[arg(long = "env-file", value_name = "FILE")]
    env_files: Vec<PathBuf>,
    /// Profiles to enable
    #[arg(long = "profile", value_name = "PROFILE")]
    profiles: Vec<String>,
    #[command(subcommand)]
    command: ComposeCommand,
}

#[derive(Subcommand)]
pub enum ComposeCommand {
    /// Parse, resolve and render the compose file in canonical format
    Config(ConfigArgs),
}

#[derive(Args)]
pub struct ConfigArgs {
    /// Print the service names, one per line
    #[arg(long)]
    services: bool,
    /// Print the volume names, one per line
    #[arg(long)]
    volumes: bool,
    /// Only validate the configuration, don't print anything
    #[arg(short, long)]
    quiet: bool,
}

pub fn compose(args: ComposeArgs) -> anyhow::Result<i32> {
    let options = Options {
        files: args.files,
        project_directory: args.project_directory,
        project_name: args.project_name,
        env_files: args.env_files,
        profiles: args.profiles,
    };
    match args.command {
        ComposeCommand::Config(config_args) => config(&options, &config_args),
    }
}

fn config(options: &Options, args: &ConfigArgs) -> anyhow::Result<i32> {
    let project = load(options)?;
    if args.quiet {
        return Ok(0);
    }
    let listed = match (args.services, args.volumes) {
        (true, _) => Some(project.services()),
        (_, true) => Some(project.volumes()),
        _ => None,
    };
    match listed {
        Some(names) => names.iter().for_each(|name| println!("{name}")),
        None => print!("{}", to_yaml(&project.model)),
    }
    Ok(0)
}
