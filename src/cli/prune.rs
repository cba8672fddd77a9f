//! The prunes: `image prune`, `system prune`, and what every `… prune` shares (docker's
//! confirmation, its "Deleted …:" sections and the reclaimed-space line).

use crate::filter::PruneFilters;
use crate::store::Store;
use anyhow::{bail, Result};
use clap::Args;

/// What one prune removed: the lines docker prints under its heading, and the bytes freed.
pub struct Section {
    pub heading: &'static str,
    pub lines: Vec<String>,
    pub reclaimed: u64,
}

impl Section {
    pub fn new(heading: &'static str, pruned: crate::prune::Pruned) -> Section {
        Section {
            heading,
            lines: pruned.removed,
            reclaimed: pruned.reclaimed,
        }
    }

    /// The heading and its lines, then a blank line; nothing when nothing went.
    pub fn print(&self) {
        if self.lines.is_empty() {
            return;
        }
        println!("{}", self.heading);
        for line in &self.lines {
            println!("{line}");
        }
        println!();
    }

    /// The section, then docker's closing line.
    pub fn print_with_total(&self) {
        self.print();
        print_total(self.reclaimed);
    }
}

fn print_total(reclaimed: u64) {
    println!(
        "Total reclaimed space: {}",
        super::image::human_size(reclaimed)
    );
}

/// Asks unless `force`: true only when the user answers yes.
pub fn confirmed(force: bool, warning: &str) -> Result<bool> {
    if force {
        return Ok(true);
    }
    eprint!("{warning}\nAre you sure you want to continue? [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

#[derive(Args)]
pub struct ImagePruneArgs {
    /// Remove all unused images, not just dangling ones
    #[arg(short, long)]
    all: bool,
    /// Do not prompt for confirmation
    #[arg(short, long)]
    force: bool,
    /// Filter: label=KEY[=VALUE], label!=KEY[=VALUE], until=TIMESTAMP
    #[arg(long = "filter", value_name = "FILTER")]
    filters: Vec<String>,
}

/// `image prune`: dangling images (untagged), or with `-a` every image no container uses.
pub fn image_prune(store: &Store, args: ImagePruneArgs) -> Result<i32> {
    let filters = PruneFilters::parse(&args.filters)?;
    let warning = if args.all {
        "WARNING! This will remove all images without at least one container associated to them."
    } else {
        "WARNING! This will remove all dangling images."
    };
    if !confirmed(args.force, warning)? {
        return Ok(0);
    }
    prune_images(store, args.all, &filters)?.print_with_total();
    Ok(0)
}

pub fn prune_images(store: &Store, all: bool, filters: &PruneFilters) -> Result<Section> {
    let pruned = crate::prune::prune(store, crate::prune::Kind::Images, all, filters)?;
    Ok(Section::new("Deleted Images:", pruned))
}

#[derive(Args)]
pub struct HiddenPruneArgs {
    #[arg(value_enum)]
    kind: crate::prune::Kind,
    /// Images: every unused one; volumes: named ones too
    #[arg(long)]
    all: bool,
    #[arg(long = "filter", value_name = "FILTER")]
    filters: Vec<String>,
}

/// `__prune KIND`: the prune without asking, what went printed as JSON.
pub fn hidden_prune(store: &Store, args: HiddenPruneArgs) -> Result<i32> {
    let filters = PruneFilters::parse(&args.filters)?;
    let pruned = crate::prune::prune(store, args.kind, args.all, &filters)?;
    println!("{}", serde_json::to_string(&pruned)?);
    Ok(0)
}

#[derive(Args)]
pub struct SystemPruneArgs {
    /// Remove all unused images not just dangling ones
    #[arg(short, long)]
    all: bool,
    /// Do not prompt for confirmation
    #[arg(short, long)]
    force: bool,
    /// Prune anonymous volumes
    #[arg(long)]
    volumes: bool,
    /// Filter: label=KEY[=VALUE], label!=KEY[=VALUE], until=TIMESTAMP
    #[arg(long = "filter", value_name = "FILTER")]
    filters: Vec<String>,
}

/// `system prune`: stopped containers, unused networks, (with `--volumes`) unused anonymous
/// volumes, dangling (or with `-a` unused) images and the build cache, in docker's order.
pub fn system_prune(store: &Store, args: SystemPruneArgs) -> Result<i32> {
    let filters = PruneFilters::parse(&args.filters)?;
    if args.volumes && filters.has_until() {
        bail!("The \"until\" filter is not supported with \"--volumes\"");
    }
    if !confirmed(args.force, &system_warning(&args))? {
        return Ok(0);
    }
    let mut sections = vec![
        super::container::prune_containers(store, &filters)?,
        super::network::prune_networks(store, &filters)?,
    ];
    if args.volumes {
        sections.push(super::volume::prune_volumes(store, false, &filters)?);
    }
    sections.push(prune_images(store, args.all, &filters)?);
    sections.push(super::build::prune_cache(store)?);
    for section in &sections {
        section.print();
    }
    print_total(sections.iter().map(|s| s.reclaimed).sum());
    Ok(0)
}

/// docker's list of what a system prune removes.
fn system_warning(args: &SystemPruneArgs) -> String {
    let mut warnings = vec![
        "all stopped containers",
        "all networks not used by at least one container",
    ];
    if args.volumes {
        warnings.push("all anonymous volumes not used by at least one container");
    }
    warnings.push(if args.all {
        "all images without at least one container associated to them"
    } else {
        "all dangling images"
    });
    warnings.push(if args.all {
        "all build cache"
    } else {
        "unused build cache"
    });
    let mut text = String::from("WARNING! This will remove:");
    for warning in warnings {
        text.push_str("\n  - ");
        text.push_str(warning);
    }
    if !args.filters.is_empty() {
        text.push_str("\n\n  Items to be pruned will be filtered with:");
        let mut sorted = args.filters.clone();
        sorted.sort();
        for f in sorted {
            text.push_str("\n  - ");
            text.push_str(&f);
        }
    }
    text.push('\n');
    text
}
