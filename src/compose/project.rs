//! Loading a project: its files found or given, its environment (`.env` or `--env-file`)
//! read, each file parsed, checked and interpolated, the files merged in order, its name
//! settled, and the services of inactive profiles left out.

use super::extends::apply_extends;
use super::files::{checked_name, find, normalized_name};
use super::include::apply_include;
use super::normalize::normalize;
use super::template::Lookup;
use super::yaml::{Node, Value};
use super::{dotenv, interpolate::interpolate, merge::merge_files, validate::validate, yaml};
use anyhow::{anyhow, Context, Result};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// What the command line says about the project.
#[derive(Default)]
pub struct Options {
    /// `-f`: the files, in merge order; `-` is standard input.
    pub files: Vec<PathBuf>,
    pub project_directory: Option<PathBuf>,
    /// `-p`.
    pub project_name: Option<String>,
    /// `--env-file`: replaces the project directory's `.env`.
    pub env_files: Vec<PathBuf>,
    /// `--profile`: adds to `COMPOSE_PROFILES`.
    pub profiles: Vec<String>,
}

pub struct Project {
    /// The merged, interpolated files, with `name` set.
    pub model: Node,
}

impl Project {
    /// The names of the project's services, in the file's order.
    pub fn services(&self) -> Vec<&str> {
        section_keys(&self.model, "services")
    }

    /// The keys of the project's top-level volumes, in the file's order.
    pub fn volumes(&self) -> Vec<&str> {
        section_keys(&self.model, "volumes")
    }
}

fn section_keys<'a>(model: &'a Node, section: &str) -> Vec<&'a str> {
    let entries = model.get(section).and_then(Node::as_map);
    entries
        .into_iter()
        .flatten()
        .map(|(k, _)| k.as_str())
        .collect()
}

pub fn load(options: &Options) -> Result<Project> {
    let cwd = std::env::current_dir()?;
    let start = options
        .project_directory
        .as_ref()
        .map_or(cwd.clone(), |dir| cwd.join(dir));
    // The environment may name the files (COMPOSE_FILE), so it is read before they are found.
    let mut environment = Environment::read(&start, &options.env_files)?;
    let files = project_files(options, &environment, &start, &cwd)?;
    let directory = match &options.project_directory {
        Some(_) => start.clone(),
        None => files[0]
            .parent()
            .filter(|_| files[0] != Path::new("-"))
            .unwrap_or(&cwd)
            .to_path_buf(),
    };
    if directory != start {
        environment = Environment::read(&directory, &options.env_files)?;
    }
    let lookup = |name: &str| environment.get(name);
    let mut model: Option<Node> = None;
    for file in &files {
        let doc = read_file(file, &lookup)?;
        model = Some(match model {
            Some(base) => merge_files(base, doc),
            None => doc,
        });
    }
    let mut model = model.ok_or_else(|| anyhow!("no configuration file provided"))?;
    let name = project_name(options, &environment, &model, &directory)?;
    let profiles = active_profiles(options, &environment);
    drop_inactive_services(&mut model, &profiles);
    set_name(&mut model, &name);
    normalize(&mut model, &name, &directory, &lookup)?;
    canonical_order(&mut model);
    Ok(Project { model })
}

/// `-f`, else `COMPOSE_FILE` (paths separated by `COMPOSE_PATH_SEPARATOR`, `:` by default),
/// else the files found from `start` up.
fn project_files(
    options: &Options,
    env: &Environment,
    start: &Path,
    cwd: &Path,
) -> Result<Vec<PathBuf>> {
    let absolute = |f: &Path| {
        if f == Path::new("-") {
            f.to_path_buf()
        } else {
            cwd.join(f)
        }
    };
    if !options.files.is_empty() {
        return Ok(options.files.iter().map(|f| absolute(f)).collect());
    }
    match env.get("COMPOSE_FILE").filter(|f| !f.is_empty()) {
        Some(list) => {
            let separator = env
                .get("COMPOSE_PATH_SEPARATOR")
                .unwrap_or_else(|| ":".into());
            Ok(list
                .split(separator.as_str())
                .map(|f| absolute(Path::new(f)))
                .collect())
        }
        None => find(start),
    }
}

/// Reads one file as its tree, with its `include` brought in and its services' `extends`
/// resolved.
fn read_file(file: &Path, lookup: Lookup) -> Result<Node> {
    let mut doc = read_checked(file, lookup)?;
    apply_include(
        &mut doc,
        file,
        &|other: &Path| read_extended(other, lookup),
        &mut Vec::new(),
    )?;
    resolve_extends(doc, file, lookup)
}

/// Reads one file with its services' `extends` resolved.
fn read_extended(file: &Path, lookup: Lookup) -> Result<Node> {
    resolve_extends(read_checked(file, lookup)?, file, lookup)
}

fn resolve_extends(mut doc: Node, file: &Path, lookup: Lookup) -> Result<Node> {
    apply_extends(&mut doc, file, &|other: &Path| read_checked(other, lookup))?;
    Ok(doc)
}

/// Reads, parses, checks and interpolates one file.
fn read_checked(file: &Path, lookup: Lookup) -> Result<Node> {
    let shown = file.display().to_string();
    let text = if file == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        text
    } else {
        std::fs::read_to_string(file).with_context(|| format!("open {shown}"))?
    };
    let mut doc = yaml::parse(&text, &shown)?;
    validate(&doc, &shown)?;
    interpolate(&mut doc, "", lookup)?;
    Ok(doc)
}

/// The variables interpolation sees: the process's environment, then the env files'.
struct Environment {
    files: HashMap<String, String>,
}

impl Environment {
    fn read(directory: &Path, env_files: &[PathBuf]) -> Result<Self> {
        let default = directory.join(".env");
        let paths: Vec<PathBuf> = match env_files {
            [] if default.is_file() => vec![default],
            [] => Vec::new(),
            given => given.to_vec(),
        };
        let mut files = HashMap::new();
        for path in paths {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("couldn't find env file: {}", path.display()))?;
            let process = |name: &str| std::env::var(name).ok();
            let vars = dotenv::parse(&text, &process)
                .with_context(|| format!("failed to read {}", path.display()))?;
            files.extend(vars);
        }
        Ok(Environment { files })
    }

    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name)
            .ok()
            .or_else(|| self.files.get(name).cloned())
    }
}

/// `-p`, then `COMPOSE_PROJECT_NAME`, then the file's `name`, then the directory's name.
fn project_name(
    options: &Options,
    env: &Environment,
    model: &Node,
    directory: &Path,
) -> Result<String> {
    if let Some(name) = options
        .project_name
        .clone()
        .or_else(|| env.get("COMPOSE_PROJECT_NAME"))
        .filter(|n| !n.is_empty())
    {
        return checked_name(&name);
    }
    let from_file = match model.get("name").map(|n| &n.value) {
        Some(Value::Scalar { text, .. }) if !text.is_empty() => Some(text.clone()),
        _ => None,
    };
    let from_directory = || {
        directory
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let name = normalized_name(&from_file.unwrap_or_else(from_directory));
    checked_name(&name)
}

fn active_profiles(options: &Options, env: &Environment) -> Vec<String> {
    let from_env = env.get("COMPOSE_PROFILES").unwrap_or_default();
    let listed = from_env
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(String::from);
    listed.chain(options.profiles.iter().cloned()).collect()
}

/// Leaves out services that name profiles none of which is active (`*` activates all).
fn drop_inactive_services(model: &mut Node, active: &[String]) {
    let Some(Value::Map(services)) = map_value_mut(model, "services") else {
        return;
    };
    services.retain(|(_, service)| {
        let Some(Value::Seq(profiles)) = service.get("profiles").map(|p| &p.value) else {
            return true;
        };
        profiles.is_empty()
            || active.iter().any(|a| a == "*")
            || profiles
                .iter()
                .any(|p| matches!(&p.value, Value::Scalar { text, .. } if active.contains(text)))
    });
}

fn map_value_mut<'a>(node: &'a mut Node, key: &str) -> Option<&'a mut Value> {
    match &mut node.value {
        Value::Map(entries) => entries
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| &mut v.value),
        _ => None,
    }
}

/// Puts the settled name first, where `docker compose config` prints it.
fn set_name(model: &mut Node, name: &str) {
    if let Value::Map(entries) = &mut model.value {
        entries.retain(|(k, _)| k != "name");
        let value = Value::Scalar {
            text: name.to_string(),
            plain: false,
        };
        let (line, column) = (model.line, model.column);
        entries.insert(
            0,
            (
                "name".to_string(),
                Node {
                    value,
                    tag: None,
                    line,
                    column,
                },
            ),
        );
    }
}

/// The order `docker compose config` prints in: the known sections first, services by name,
/// networks and volumes by name, a service's keys by name; `version` is obsolete and dropped.
fn canonical_order(model: &mut Node) {
    const SECTIONS: [&str; 6] = [
        "name", "services", "networks", "volumes", "secrets", "configs",
    ];
    let Value::Map(entries) = &mut model.value else {
        return;
    };
    entries.retain(|(k, _)| k != "version");
    entries.sort_by_key(|(k, _)| {
        SECTIONS
            .iter()
            .position(|s| s == k)
            .unwrap_or(SECTIONS.len())
    });
    for section in ["networks", "volumes"] {
        if let Some(Value::Map(resources)) = map_value_mut(model, section) {
            resources.sort_by(|a, b| a.0.cmp(&b.0));
        }
    }
    if let Some(Value::Map(services)) = map_value_mut(model, "services") {
        services.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, service) in services {
            if let Value::Map(keys) = &mut service.value {
                keys.sort_by(|a, b| a.0.cmp(&b.0));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/testdata/compose");

    fn compose_files(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type().unwrap().is_dir() {
                compose_files(&path, found);
            } else if (name.ends_with(".yml") || name.ends_with(".yaml")) && !name.starts_with('.')
            {
                found.push(path);
            }
        }
    }

    /// Every compose file of the test data is read or refused with a message, never a panic.
    #[test]
    fn every_test_file_loads_or_is_refused_clearly() {
        let mut files = Vec::new();
        compose_files(Path::new(TESTDATA), &mut files);
        assert!(files.len() > 50, "only {} files", files.len());
        let mut loaded = 0;
        for file in &files {
            let unset = |_: &str| None;
            match read_file(file, &unset) {
                Ok(_) => loaded += 1,
                Err(e) => assert!(!e.to_string().is_empty(), "{}", file.display()),
            }
        }
        assert!(
            loaded * 2 > files.len(),
            "only {loaded} of {} loaded",
            files.len()
        );
    }
}
