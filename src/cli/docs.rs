//! Shell completions (`skiff completion bash`, as `docker completion`) and the man pages
//! kept in `man/`, both generated from the command definitions so they never drift.

use super::Cli;
use anyhow::{Context, Result};
use clap::{Args, CommandFactory};
use clap_complete::Shell;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct CompletionArgs {
    /// The shell to generate completions for
    shell: Shell,
}

pub fn completion(args: CompletionArgs) -> Result<i32> {
    clap_complete::generate(
        args.shell,
        &mut Cli::command(),
        "skiff",
        &mut std::io::stdout(),
    );
    Ok(0)
}

#[derive(Args)]
pub struct GenerateDocsArgs {
    /// The repository directory whose completions/ and man/ are rewritten
    dir: PathBuf,
}

/// Writes completions/ and man/ for the repository; a test checks the checked-in copies.
pub fn generate_docs(args: GenerateDocsArgs) -> Result<i32> {
    write_completions(&args.dir.join("completions"))?;
    write_man_pages(&args.dir.join("man"))?;
    Ok(0)
}

fn write_completions(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    for (shell, file) in [
        (Shell::Bash, "skiff.bash"),
        (Shell::Zsh, "_skiff"),
        (Shell::Fish, "skiff.fish"),
    ] {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "skiff", &mut out);
        std::fs::write(dir.join(file), out).with_context(|| format!("cannot write {file}"))?;
    }
    Ok(())
}

fn write_man_pages(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let command = Cli::command();
    render_page(dir, &command, "skiff")?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("skiff-{}", sub.get_name());
        render_page(dir, &sub.clone().name(name.clone()), &name)?;
        for nested in sub.get_subcommands() {
            let nested_name = format!("{name}-{}", nested.get_name());
            render_page(dir, &nested.clone().name(nested_name.clone()), &nested_name)?;
        }
    }
    Ok(())
}

fn render_page(dir: &Path, command: &clap::Command, name: &str) -> Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut out)?;
    std::fs::write(dir.join(format!("{name}.1")), out)
        .with_context(|| format!("cannot write {name}.1"))?;
    Ok(())
}
