//! docker's `--format`: Go text/template rendering with docker's extra functions, docker's
//! `table` output aligned the way Go's tabwriter aligns it, and the JSON shapes of
//! `--format json` and `inspect`.
//!
//! Template parsing and execution are done by the `gotmpl` crate (a port of Go's text/template
//! checked against Go's own output); this module adds what docker layers on top of it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::sync::Arc;

use anyhow::Result;
use gotmpl::parse::{BranchNode, Expr, ListNode, Node, Parser, PipeNode, Pos};
use gotmpl::{Template, TemplateError, Value};
use serde_json::Value as Json;

/// How a list command prints: docker's default table, a Go template per item, a `table ...`
/// template, or `json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// The command's default columns, as a table.
    Default,
    /// A template rendered once per item, each followed by a newline, without alignment.
    Template(String),
    /// A row template whose tab-separated cells are aligned into a table under a header row;
    /// `None` (plain `table`) means the command's default columns.
    Table(Option<String>),
    /// One compact JSON object per line (`{{json .}}`).
    Json,
}

impl Format {
    /// Parse a `--format` value (None -> Default). "json" alone -> Json (one JSON object per
    /// line, as docker). A template starting with "table" -> Table (rest of the string is the
    /// row template; "table" alone means default columns). The template is checked here so
    /// that a syntax error is reported even when there is nothing to list.
    pub fn parse(arg: Option<&str>) -> Result<Format> {
        let Some(arg) = arg.filter(|arg| !arg.is_empty()) else {
            return Ok(Format::Default);
        };
        if arg == "json" {
            return Ok(Format::Json);
        }
        if let Some(row) = arg.strip_prefix("table") {
            let row = prepare(row);
            if row.is_empty() {
                return Ok(Format::Table(None));
            }
            compile(&row, FuncSet::Values)?;
            return Ok(Format::Table(Some(row)));
        }
        let template = prepare(arg);
        compile(&template, FuncSet::Values)?;
        Ok(Format::Template(template))
    }
}

/// docker trims spaces and turns the two-character sequences `\t` and `\n` (which shells pass
/// through literally) into a tab and a newline before parsing a list format.
fn prepare(format: &str) -> String {
    format
        .trim_matches(' ')
        .replace("\\t", "\t")
        .replace("\\n", "\n")
}

/// A list printer: `columns` are (header, template) pairs for docker's default table, e.g.
/// `[("IMAGE ID", "{{.ID}}"), ("REPOSITORY", "{{.Repository}}")]`. For `table` templates the
/// header row is the template rendered against the column names: a field whose template
/// appears in `columns` gets that column's header, any other field its name upper-cased.
/// Nothing is written if any item fails to render, as docker. `kind` names the items as
/// docker's errors name their type (`*formatter.ContainerContext`): a template that asks
/// an item for a field it does not have fails with "can't evaluate field X in type KIND".
pub fn print_list(
    out: &mut impl Write,
    format: &Format,
    kind: &str,
    columns: &[(&str, &str)],
    items: &[Json],
) -> Result<()> {
    // skiff's own column templates may ask for what an item leaves out; the user's may not.
    let missing = Some(Missing::Field(kind));
    let text = match format {
        Format::Json => render_lines("{{json .}}", None, items)?,
        Format::Template(template) => render_lines(template, missing, items)?,
        Format::Default | Format::Table(None) => {
            let header = tab_join(columns.iter().map(|(header, _)| *header));
            let row = tab_join(columns.iter().map(|(_, template)| *template));
            align_columns(&format!("{header}\n{}", render_lines(&row, None, items)?))
        }
        Format::Table(Some(row)) => {
            let rows = render_lines(row, missing, items)?;
            align_columns(&format!("{}\n{rows}", table_header(row, columns)?))
        }
    };
    out.write_all(text.as_bytes())?;
    Ok(())
}

fn tab_join<'a>(cells: impl Iterator<Item = &'a str>) -> String {
    cells.collect::<Vec<_>>().join("\t")
}

/// Renders `source` once per item, each result followed by a newline; with `missing`, a
/// field an item lacks fails as [`check_fields`] says.
fn render_lines(source: &str, missing: Option<Missing>, items: &[Json]) -> Result<String> {
    let refs = References::of(source).map_err(|err| parse_error(&err))?;
    let template = compile(source, FuncSet::Values)?;
    let mut text = String::new();
    for item in items {
        if let Some(missing) = missing {
            check_fields(&refs, source, item, missing)?;
        }
        execute(&template, item, &mut text)?;
        text.push('\n');
    }
    Ok(text)
}

/// For `inspect`-style commands: with no format, a pretty JSON array of all items (docker's
/// 4-space indented style); with `json`, a compact array; with a template, the template
/// rendered per item followed by a newline. Items that fail to render are skipped and
/// reported together in the returned error after the others were written, as docker does.
pub fn print_objects(out: &mut impl Write, format: Option<&str>, items: &[Json]) -> Result<()> {
    let text = match format.filter(|format| !format.is_empty()) {
        None => json_array(items, Some("    ")) + "\n",
        Some("json") => json_array(items, None) + "\n",
        Some(template) => return print_rendered_objects(out, template, items),
    };
    out.write_all(text.as_bytes())?;
    Ok(())
}

fn print_rendered_objects(out: &mut impl Write, source: &str, items: &[Json]) -> Result<()> {
    let refs = References::of(source).map_err(|err| parse_error(&err))?;
    let template = compile(source, FuncSet::Values)?;
    let mut text = String::new();
    let mut errors = Vec::new();
    for item in items {
        let mut rendered = String::new();
        let result = check_fields(&refs, source, item, Missing::Key)
            .and_then(|()| execute(&template, item, &mut rendered));
        match result {
            Ok(()) => {
                text.push_str(&rendered);
                text.push('\n');
            }
            Err(err) => errors.push(err.to_string()),
        }
    }
    if text.is_empty() {
        // docker still ends the (empty) output with a newline.
        text.push('\n');
    }
    out.write_all(text.as_bytes())?;
    if !errors.is_empty() {
        return Err(FormatError(errors.join("\n")).into());
    }
    Ok(())
}

/// Render one template against one value (used by the above and by commands with their own
/// needs). The template is taken as is: no `table` prefix, no `\t` conversion.
pub fn render(template: &str, value: &Json) -> Result<String> {
    let template = compile(template, FuncSet::Values)?;
    let mut text = String::new();
    execute(&template, value, &mut text)?;
    Ok(text)
}

// ---------------------------------------------------------------------------------------------
// Compiling and executing templates

/// Which implementations docker's extra functions get: the real ones, or the ones docker uses
/// to render a table's header row, which leave the column name as it is.
#[derive(Clone, Copy)]
enum FuncSet {
    Values,
    Headers,
}

/// Go's text/template builtins.
const GO_FUNCTIONS: &[&str] = &[
    "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf",
    "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
];

/// The functions docker adds to every template.
const DOCKER_FUNCTIONS: &[&str] = &[
    "json", "split", "join", "title", "lower", "upper", "pad", "truncate",
];

fn compile(source: &str, funcs: FuncSet) -> Result<Template> {
    // Go rejects unknown functions when parsing, gotmpl only when executing: check here so a
    // typo fails even when there is no item to render.
    let refs = References::of(source).map_err(|err| parse_error(&err))?;
    let unknown = refs.functions.iter().find(|(name, _)| {
        !GO_FUNCTIONS.contains(&name.as_str()) && !DOCKER_FUNCTIONS.contains(&name.as_str())
    });
    if let Some((name, line)) = unknown {
        return Err(FormatError(format!(
            "template parsing error: template: :{line}: function {name:?} not defined"
        ))
        .into());
    }
    with_functions(Template::new(""), funcs)
        .parse(source)
        .map_err(|err| parse_error(&err))
}

fn execute(template: &Template, value: &Json, out: &mut String) -> Result<()> {
    template
        .execute_fmt(out, &to_template_value(value))
        .map_err(|err| parse_error(&err))
}

/// A `--format` template that does not parse or fails on an item: exit code 1, as docker.
#[derive(Debug)]
pub struct FormatError(String);

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FormatError {}

/// docker's CLI wraps parse and execution errors alike in "template parsing error: ...".
fn parse_error(err: &TemplateError) -> anyhow::Error {
    template_error(go_message(err))
}

fn template_error(message: String) -> anyhow::Error {
    FormatError(format!("template parsing error: {message}")).into()
}

/// How a field the item lacks fails: docker renders list items from Go structs ("can't
/// evaluate field X in type KIND") and `inspect` output from maps with `missingkey=error`.
#[derive(Clone, Copy)]
enum Missing<'a> {
    Field(&'a str),
    Key,
}

/// Fails on the first field the template asks of the item itself (`.X`, `$.X`) that the
/// item does not have, where docker's typed rendering fails; fields of nested maps stay
/// `<no value>` as in docker.
fn check_fields(refs: &References, source: &str, item: &Json, missing: Missing) -> Result<()> {
    let Json::Object(fields) = item else {
        return Ok(());
    };
    let Some(root) = refs
        .root_fields
        .iter()
        .find(|f| !fields.contains_key(&f.chain[0]))
    else {
        return Ok(());
    };
    let name = &root.chain[0];
    let problem = match missing {
        Missing::Field(kind) => format!("can't evaluate field {name} in type {kind}"),
        Missing::Key => format!("map has no entry for key {name:?}"),
    };
    let before = &source[..root.offset];
    let column = before
        .rfind('\n')
        .map_or(root.offset, |nl| root.offset - nl - 1);
    Err(template_error(format!(
        "template: :{}:{column}: executing \"\" at <{}{}>: {problem}",
        root.line,
        root.prefix,
        root.chain
            .iter()
            .map(|f| format!(".{f}"))
            .collect::<String>()
    )))
}

/// Phrases gotmpl's errors the way Go's text/template does (`template: :LINE: message`).
fn go_message(err: &TemplateError) -> String {
    match err {
        TemplateError::Parse { line, message, .. } | TemplateError::Lex { line, message, .. } => {
            format!("template: :{line}: {message}")
        }
        TemplateError::Exec(message) => format!("template: {message}"),
        other => format!("template: {other}"),
    }
}

/// Converts JSON into gotmpl's value type. Object keys end up sorted, which is also the order
/// in which Go ranges over and prints a map.
fn to_template_value(json: &Json) -> Value {
    match json {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Value::Int(i),
            (None, Some(u), _) => Value::Uint(u),
            (None, None, f) => Value::Float(f.unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::String(s.as_str().into()),
        Json::Array(items) => Value::List(items.iter().map(to_template_value).collect()),
        Json::Object(map) => Value::Map(Arc::new(
            map.iter()
                .map(|(key, value)| (Arc::from(key.as_str()), to_template_value(value)))
                .collect(),
        )),
    }
}

/// The reverse, for the `json` function; None for what Go's encoder refuses (NaN, functions).
fn to_json(value: &Value) -> Option<Json> {
    Some(match value {
        Value::Nil => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Uint(u) => Json::from(*u),
        Value::Float(f) => Json::Number(serde_json::Number::from_f64(*f)?),
        Value::String(s) => Json::String(s.to_string()),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect::<Option<_>>()?),
        Value::Map(map) => Json::Object(
            map.iter()
                .map(|(key, value)| Some((key.to_string(), to_json(value)?)))
                .collect::<Option<_>>()?,
        ),
        Value::Function(_) => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// What a template refers to

/// The field chains (`.A.B`, `$.A`) and function names a template mentions, in source order.
#[derive(Default)]
struct References {
    fields: Vec<Vec<String>>,
    /// Function name and the line it is on.
    functions: Vec<(String, usize)>,
    /// The field chains evaluated on the item itself: `$.X` anywhere, `.X` where dot is
    /// still the item (outside `range` and `with` bodies and `define`d templates).
    root_fields: Vec<RootField>,
    /// How many `range`/`with`/`define` bodies the walk is inside.
    depth: usize,
}

struct RootField {
    /// `$` or empty, as the template wrote the chain.
    prefix: &'static str,
    chain: Vec<String>,
    offset: usize,
    line: usize,
}

impl References {
    fn of(source: &str) -> gotmpl::Result<References> {
        let (tree, defines) = Parser::new(source, "{{", "}}")?.parse()?;
        let mut refs = References::default();
        refs.visit_list(&tree);
        refs.depth += 1;
        for define in &defines {
            refs.visit_list(&define.body);
        }
        Ok(refs)
    }

    fn visit_list(&mut self, list: &ListNode) {
        for node in &list.nodes {
            self.visit_node(node);
        }
    }

    fn visit_node(&mut self, node: &Node) {
        match node {
            Node::List(list) => self.visit_list(list),
            Node::Action(action) => self.visit_pipe(&action.pipe),
            Node::If(branch) => self.visit_branch(branch, false),
            Node::Range(branch) | Node::With(branch) => self.visit_branch(branch, true),
            Node::Template(call) => {
                if let Some(pipe) = &call.pipe {
                    self.visit_pipe(pipe);
                }
            }
            Node::Define(define) => {
                self.depth += 1;
                self.visit_list(&define.body);
                self.depth -= 1;
            }
            Node::Text(_) | Node::Break(_) | Node::Continue(_) => {}
        }
    }

    /// `range` and `with` set dot for their body (and `range`'s `else` keeps the outer one,
    /// `with`'s too), `if` leaves it alone.
    fn visit_branch(&mut self, branch: &BranchNode, moves_dot: bool) {
        self.visit_pipe(&branch.pipe);
        self.depth += usize::from(moves_dot);
        self.visit_list(&branch.body);
        self.depth -= usize::from(moves_dot);
        if let Some(else_body) = &branch.else_body {
            self.visit_list(else_body);
        }
    }

    fn visit_pipe(&mut self, pipe: &PipeNode) {
        for command in &pipe.commands {
            for arg in &command.args {
                self.visit_expr(arg);
            }
        }
    }

    fn visit_expr(&mut self, expr: &Expr) {
        match expr {
            Expr::Field(pos, chain) => {
                if self.depth == 0 {
                    self.root_field("", *pos, chain);
                }
                self.fields.push(to_strings(chain));
            }
            Expr::Variable(pos, name, chain) if name == "$" && !chain.is_empty() => {
                self.root_field("$", *pos, chain);
                self.fields.push(to_strings(chain));
            }
            Expr::Identifier(pos, name) => self.functions.push((name.to_string(), pos.line)),
            Expr::Pipe(_, pipe) => self.visit_pipe(pipe),
            Expr::Chain(_, inner, _) => self.visit_expr(inner),
            _ => {}
        }
    }

    fn root_field(&mut self, prefix: &'static str, pos: Pos, chain: &[gotmpl::parse::SmolStr]) {
        self.root_fields.push(RootField {
            prefix,
            chain: to_strings(chain),
            offset: pos.offset,
            line: pos.line,
        });
    }
}

fn to_strings(chain: &[gotmpl::parse::SmolStr]) -> Vec<String> {
    chain.iter().map(|name| name.to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// Table header

/// docker renders a `table` template's header row by executing the row template against a
/// map of column names, with functions that leave those names alone. Fields are named after
/// the command's columns where a column's template is that field, else upper-cased.
fn table_header(row: &str, columns: &[(&str, &str)]) -> Result<String> {
    let known = column_names(columns);
    let mut names = serde_json::Map::new();
    for chain in References::of(row).map_err(|err| parse_error(&err))?.fields {
        let name = match known.get(&chain.join(".")) {
            Some(header) => header.to_string(),
            None => chain
                .last()
                .map(|field| field.to_uppercase())
                .unwrap_or_default(),
        };
        insert_path(&mut names, &chain, name);
    }
    let template = compile(row, FuncSet::Headers)?;
    let mut header = String::new();
    // docker ignores a failing header (e.g. `range` over a column name) and keeps what was
    // written before the failure.
    let _ = template.execute_fmt(&mut header, &to_template_value(&Json::Object(names)));
    Ok(header)
}

/// Maps the field each default column shows (`ID` for `{{.ID}}`) to its header.
fn column_names<'a>(columns: &[(&'a str, &str)]) -> BTreeMap<String, &'a str> {
    columns
        .iter()
        .filter_map(|(header, template)| {
            let refs = References::of(template).ok()?;
            Some((refs.fields.first()?.join("."), *header))
        })
        .collect()
}

/// Puts `name` at `path` in nested objects, leaving whatever an earlier field put there.
fn insert_path(map: &mut serde_json::Map<String, Json>, path: &[String], name: String) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        map.entry(first.as_str()).or_insert(Json::String(name));
    } else if let Json::Object(inner) = map
        .entry(first.as_str())
        .or_insert_with(|| Json::Object(serde_json::Map::new()))
    {
        insert_path(inner, rest, name);
    }
}

// ---------------------------------------------------------------------------------------------
// docker's template functions

type FuncResult = gotmpl::Result<Value>;

fn with_functions(template: Template, funcs: FuncSet) -> Template {
    // docker keeps the real `pad` for headers so that padded columns stay aligned.
    let template = template.func("pad", pad);
    match funcs {
        FuncSet::Values => template
            .func("json", json)
            .func("split", split)
            .func("join", join)
            .func("title", |args| map_string("title", args, go_title))
            .func("lower", |args| map_string("lower", args, go_lower))
            .func("upper", |args| map_string("upper", args, go_upper))
            .func("truncate", truncate),
        FuncSet::Headers => [
            ("json", 1),
            ("split", 2),
            ("join", 2),
            ("title", 1),
            ("lower", 1),
            ("upper", 1),
            ("truncate", 2),
        ]
        .into_iter()
        .fold(template, |template, (name, arity)| {
            template.func(name, move |args: &[Value]| {
                check_arity(name, args, arity)?;
                Ok(args[0].clone())
            })
        }),
    }
}

fn check_arity(name: &str, args: &[Value], expected: usize) -> gotmpl::Result<()> {
    if args.len() == expected {
        return Ok(());
    }
    Err(TemplateError::ArgCount {
        name: name.to_string(),
        expected,
        got: args.len(),
    })
}

fn wrong_type(name: &str, expected: &str, got: &Value) -> TemplateError {
    TemplateError::Exec(format!(
        "error calling {name}: wrong type for value; expected {expected}; got {}",
        got.type_name()
    ))
}

fn string_arg<'a>(name: &str, value: &'a Value) -> gotmpl::Result<&'a str> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(wrong_type(name, "string", other)),
    }
}

/// A count argument (`truncate`, `pad`); Go panics on negative counts, we report an error.
fn count_arg(name: &str, value: &Value) -> gotmpl::Result<usize> {
    let count = match value {
        Value::Int(i) => usize::try_from(*i).ok(),
        Value::Uint(u) => usize::try_from(*u).ok(),
        other => return Err(wrong_type(name, "int", other)),
    };
    count.ok_or_else(|| TemplateError::Exec(format!("error calling {name}: negative count")))
}

/// `json`: compact JSON like Go's encoder with HTML escaping turned off, as docker configures
/// it. What Go cannot encode prints as nothing (docker ignores the encoder's error).
fn json(args: &[Value]) -> FuncResult {
    check_arity("json", args, 1)?;
    let text = to_json(&args[0])
        .map(|json| go_json(&json, None))
        .unwrap_or_default();
    Ok(Value::String(text.into()))
}

/// `split`: Go's strings.Split; an empty separator splits after each character.
fn split(args: &[Value]) -> FuncResult {
    check_arity("split", args, 2)?;
    let s = string_arg("split", &args[0])?;
    let separator = string_arg("split", &args[1])?;
    let parts: Vec<Value> = if separator.is_empty() {
        s.chars()
            .map(|c| Value::String(c.to_string().into()))
            .collect()
    } else {
        s.split(separator).map(Value::from).collect()
    };
    Ok(parts.into())
}

/// `join`: Go's strings.Join. Go wants a []string; we also print other elements as Go would.
fn join(args: &[Value]) -> FuncResult {
    check_arity("join", args, 2)?;
    let Value::List(items) = &args[0] else {
        return Err(wrong_type("join", "[]string", &args[0]));
    };
    let separator = string_arg("join", &args[1])?;
    let parts: Vec<String> = items.iter().map(ToString::to_string).collect();
    Ok(Value::String(parts.join(separator).into()))
}

/// `truncate`: at most `n` bytes, like docker's `s[:n]`, but never in the middle of a character.
fn truncate(args: &[Value]) -> FuncResult {
    check_arity("truncate", args, 2)?;
    let s = string_arg("truncate", &args[0])?;
    let mut end = count_arg("truncate", &args[1])?.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Ok(Value::String(s[..end].into()))
}

/// `pad s left right`: adds spaces around a non-empty string.
fn pad(args: &[Value]) -> FuncResult {
    check_arity("pad", args, 3)?;
    let s = string_arg("pad", &args[0])?;
    let left = count_arg("pad", &args[1])?;
    let right = count_arg("pad", &args[2])?;
    if s.is_empty() {
        return Ok(args[0].clone());
    }
    Ok(Value::String(
        format!("{}{s}{}", " ".repeat(left), " ".repeat(right)).into(),
    ))
}

fn map_string(name: &str, args: &[Value], map: fn(&str) -> String) -> FuncResult {
    check_arity(name, args, 1)?;
    Ok(Value::String(map(string_arg(name, &args[0])?).into()))
}

/// Go maps case one character to one character; where Rust's mapping would expand a character
/// (ß -> SS) Go keeps it as it is.
fn single_char(original: char, mut mapped: impl Iterator<Item = char>) -> char {
    match (mapped.next(), mapped.next()) {
        (Some(c), None) => c,
        _ => original,
    }
}

fn go_upper(s: &str) -> String {
    s.chars()
        .map(|c| single_char(c, c.to_uppercase()))
        .collect()
}

fn go_lower(s: &str) -> String {
    s.chars()
        .map(|c| single_char(c, c.to_lowercase()))
        .collect()
}

/// Go's strings.Title: upper-cases the first letter of every word.
fn go_title(s: &str) -> String {
    let mut previous = ' ';
    s.chars()
        .map(|c| {
            let mapped = if is_word_separator(previous) {
                single_char(c, c.to_uppercase())
            } else {
                c
            };
            previous = c;
            mapped
        })
        .collect()
}

/// Go's rule: ASCII letters, digits and `_` continue a word, other ASCII separates words;
/// beyond ASCII only white space does.
fn is_word_separator(c: char) -> bool {
    if c.is_ascii() {
        !(c.is_ascii_alphanumeric() || c == '_')
    } else {
        c.is_whitespace()
    }
}

// ---------------------------------------------------------------------------------------------
// JSON as Go's encoding/json writes it

/// A JSON array of `items`, compact or indented the way Go's `json.Indent` does it.
fn json_array(items: &[Json], indent: Option<&str>) -> String {
    let mut out = String::new();
    write_container(
        &mut out,
        ('[', ']'),
        items.iter().map(|item| (None, item)),
        indent,
        0,
    );
    out
}

/// One JSON value, compact or indented; no HTML escaping (docker turns it off).
fn go_json(value: &Json, indent: Option<&str>) -> String {
    let mut out = String::new();
    write_json(&mut out, value, indent, 0);
    out
}

fn write_json(out: &mut String, value: &Json, indent: Option<&str>, depth: usize) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => out.push_str(&go_json_float(f)),
            _ => out.push_str(&n.to_string()),
        },
        Json::String(s) => write_json_string(out, s),
        Json::Array(items) => {
            let entries = items.iter().map(|item| (None, item));
            write_container(out, ('[', ']'), entries, indent, depth);
        }
        Json::Object(map) => {
            let entries = map.iter().map(|(key, value)| (Some(key.as_str()), value));
            write_container(out, ('{', '}'), entries, indent, depth);
        }
    }
}

fn write_container<'a>(
    out: &mut String,
    (open, close): (char, char),
    entries: impl ExactSizeIterator<Item = (Option<&'a str>, &'a Json)>,
    indent: Option<&str>,
    depth: usize,
) {
    out.push(open);
    if entries.len() == 0 {
        out.push(close);
        return;
    }
    for (i, (key, value)) in entries.enumerate() {
        if i > 0 {
            out.push(',');
        }
        new_line(out, indent, depth + 1);
        if let Some(key) = key {
            write_json_string(out, key);
            out.push_str(if indent.is_some() { ": " } else { ":" });
        }
        write_json(out, value, indent, depth + 1);
    }
    new_line(out, indent, depth);
    out.push(close);
}

fn new_line(out: &mut String, indent: Option<&str>, depth: usize) {
    if let Some(indent) = indent {
        out.push('\n');
        out.push_str(&indent.repeat(depth));
    }
}

/// Go escapes control characters (short forms where JSON has them) and the JavaScript line
/// separators U+2028/U+2029.
fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\0'..='\u{1f}' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go writes floats in plain decimal (3.0 as `3`) unless very small or large, then as `1e-7`
/// or `1e+21`.
fn go_json_float(f: f64) -> String {
    let magnitude = f.abs();
    if magnitude == 0.0 || (1e-6..1e21).contains(&magnitude) {
        return format!("{f}");
    }
    let exponential = format!("{f:e}");
    match exponential.split_once('e') {
        Some((mantissa, exponent)) if !exponent.starts_with('-') => {
            format!("{mantissa}e+{exponent}")
        }
        _ => exponential,
    }
}

// ---------------------------------------------------------------------------------------------
// Table alignment

/// docker's tables use Go's tabwriter with minwidth 10, padding 3 and spaces
/// (`tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`).
const MIN_WIDTH: usize = 10;
const PADDING: usize = 3;

/// Aligns tab-terminated cells into columns the way Go's tabwriter does: a column is the run
/// of consecutive lines that have a tab-terminated cell at that index; it is as wide as its
/// widest cell plus padding (at least the minimum width); cells are left-aligned and padded
/// with spaces; the text after a line's last tab is not part of any column and is not padded.
fn align_columns(text: &str) -> String {
    let mut lines: Vec<Vec<&str>> = text
        .split('\n')
        .map(|line| line.split('\t').collect())
        .collect();
    // An empty cell after the final tab of unterminated text is not a cell for tabwriter.
    if let Some(last) = lines.last_mut() {
        if last.len() > 1 && last.last() == Some(&"") {
            last.pop();
        }
    }
    let widths = column_widths(&lines);
    let mut out = String::with_capacity(text.len() * 2);
    for (index, (line, widths)) in lines.iter().zip(&widths).enumerate() {
        for (column, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if let Some(width) = widths.get(column) {
                let padding = width.saturating_sub(cell_width(cell));
                out.extend(std::iter::repeat_n(' ', padding));
            }
        }
        if index + 1 < lines.len() {
            out.push('\n');
        }
    }
    out
}

/// The width of each tab-terminated cell of each line, in one pass that keeps the blocks
/// still open (first line, widest cell so far) and sizes a block when a line without its
/// column ends it: recursing one level a column instead overflows the stack on a line of
/// thousands of cells, which a label full of tabs gives.
fn column_widths(lines: &[Vec<&str>]) -> Vec<Vec<usize>> {
    let cells = |line: &Vec<&str>| line.len().saturating_sub(1);
    let mut widths: Vec<Vec<usize>> = lines.iter().map(|line| vec![0; cells(line)]).collect();
    // Per column: the block's first line and its width so far.
    let mut open: Vec<(usize, usize)> = Vec::new();
    for index in 0..=lines.len() {
        let line = lines
            .get(index)
            .map_or(&[][..], |line| &line[..cells(line)]);
        let closed = open.split_off(line.len().min(open.len()));
        for (column, (first, width)) in closed.into_iter().enumerate() {
            let column = column + line.len();
            widths[first..index]
                .iter_mut()
                .for_each(|w| w[column] = width);
        }
        for (column, cell) in line.iter().enumerate() {
            let width = cell_width(cell) + PADDING;
            match open.get_mut(column) {
                Some((_, widest)) => *widest = (*widest).max(width),
                None => open.push((index, width.max(MIN_WIDTH))),
            }
        }
    }
    widths
}

/// Display width of a cell as docker measures it (go-runewidth), approximately: wide East
/// Asian characters and emoji take two columns, control characters and combining marks none.
fn cell_width(cell: &str) -> usize {
    cell.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    match u32::from(c) {
        0x00..=0x1F | 0x7F..=0x9F | 0x0300..=0x036F | 0x200B..=0x200F | 0xFE00..=0xFE0F => 0,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn r(template: &str, value: &Json) -> String {
        render(template, value).unwrap()
    }

    fn list(format: Option<&str>, columns: &[(&str, &str)], items: &[Json]) -> String {
        let mut out = Vec::new();
        print_list(
            &mut out,
            &Format::parse(format).unwrap(),
            "item",
            columns,
            items,
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    fn objects(format: Option<&str>, items: &[Json]) -> (String, Result<()>) {
        let mut out = Vec::new();
        let result = print_objects(&mut out, format, items);
        (String::from_utf8(out).unwrap(), result)
    }

    fn container() -> Json {
        json!({
            "Id": "0123456789abcdef",
            "Name": "/Web-Server",
            "Args": ["-g", "daemon off;"],
            "State": {"Status": "running", "Running": true, "Pid": 42, "Health": {"Status": "healthy", "Log": "<ok> & done"}},
            "Config": {"Env": ["PATH=/usr/bin", "A=1"], "Labels": {"k": "v", "com.example": "x"}},
            "Mounts": [{"Source": "/a", "Destination": "/x"}, {"Source": "/b", "Destination": "/y"}],
        })
    }

    const IMAGE_COLUMNS: &[(&str, &str)] = &[
        ("REPOSITORY", "{{.Repository}}"),
        ("TAG", "{{.Tag}}"),
        ("IMAGE ID", "{{.ID}}"),
    ];

    fn images() -> Vec<Json> {
        vec![
            json!({"Repository": "alpine", "Tag": "latest", "ID": "abc123def456"}),
            json!({"Repository": "docker.io/library/busybox", "Tag": "1.36", "ID": "0123456789ab"}),
        ]
    }

    #[test]
    fn field_access_and_docker_examples() {
        let c = container();
        assert_eq!(
            r("{{.State.Status}} {{json .State.Health}}", &c),
            r#"running {"Log":"<ok> & done","Status":"healthy"}"#
        );
        assert_eq!(r("{{range .Mounts}}{{.Source}} {{end}}", &c), "/a /b ");
        assert_eq!(r(r#"{{index .Config.Labels "k"}}"#, &c), "v");
        assert_eq!(r(r#"{{index .Config.Labels "com.example"}}"#, &c), "x");
        assert_eq!(r(r#"{{join .Args ","}}"#, &c), "-g,daemon off;");
        assert_eq!(r(r#"{{if eq .State.Status "running"}}up{{end}}"#, &c), "up");
        assert_eq!(
            r(
                r#"{{if eq .State.Status "exited"}}up{{else}}down{{end}}"#,
                &c
            ),
            "down"
        );
        assert_eq!(r("{{.Config.Env}}", &c), "[PATH=/usr/bin A=1]");
        assert_eq!(r("{{len .Args}} {{len .Config.Labels}}", &c), "2 2");
        assert_eq!(r("{{.State.Pid}} {{.State.Running}}", &c), "42 true");
    }

    #[test]
    fn string_functions() {
        let c = container();
        assert_eq!(r("{{lower .Name}}", &c), "/web-server");
        assert_eq!(r("{{upper .Name}}", &c), "/WEB-SERVER");
        assert_eq!(r("{{.Name | upper}}", &c), "/WEB-SERVER");
        assert_eq!(
            r(r#"{{title "hello wide-world foo_bar"}}"#, &c),
            "Hello Wide-World Foo_bar"
        );
        assert_eq!(r(r#"{{upper "straße"}}"#, &c), "STRAßE");
        assert_eq!(r(r#"{{split . ","}}"#, &json!("a,b,c")), "[a b c]");
        assert_eq!(r(r#"{{len (split . ",")}}"#, &json!("a,b,c")), "3");
        assert_eq!(r(r#"{{split . ""}}"#, &json!("ab")), "[a b]");
        assert_eq!(
            r(r#"{{range split . ":"}}<{{.}}>{{end}}"#, &json!("img:tag")),
            "<img><tag>"
        );
        assert_eq!(r("{{truncate .Id 5}}", &c), "01234");
        assert_eq!(r("{{truncate .Id 99}}", &c), "0123456789abcdef");
        assert_eq!(r("{{truncate . 2}}", &json!("éa")), "é");
        assert_eq!(r("[{{pad .State.Status 2 1}}]", &c), "[  running ]");
        assert_eq!(r(r#"[{{pad "" 2 1}}]"#, &c), "[]");
    }

    #[test]
    fn go_builtins() {
        let v = json!({"A": "x", "B": 7, "Names": ["n1", "n2"], "Zero": 0, "Empty": ""});
        assert_eq!(r(r#"{{printf "%s-%d" .A .B}}"#, &v), "x-7");
        assert_eq!(r("{{println .A .B}}", &v), "x 7\n");
        assert_eq!(r("{{println}}", &v), "\n");
        assert_eq!(r("{{len .Names}}", &v), "2");
        assert_eq!(
            r("{{and .A .B}} {{or .Zero .Empty .A}} {{not .Zero}}", &v),
            "7 x true"
        );
        assert_eq!(
            r(
                "{{eq .B 7}} {{ne .B 7}} {{lt .B 8}} {{le .B 7}} {{gt .B 7}} {{ge .B 7}}",
                &v
            ),
            "true false true true false true"
        );
        assert_eq!(r(r#"{{eq .A "y" "x"}}"#, &v), "true");
        assert_eq!(r("{{$x := .A}}{{$x}}{{$x = .B}}{{$x}}", &v), "x7");
        assert_eq!(
            r("{{range $i, $e := .Names}}{{$i}}={{$e}};{{end}}", &v),
            "0=n1;1=n2;"
        );
        assert_eq!(r("{{range .Missing}}x{{else}}none{{end}}", &v), "none");
        assert_eq!(
            r(
                "{{with .A}}[{{.}}]{{end}}{{with .Empty}}no{{else}}empty{{end}}",
                &v
            ),
            "[x]empty"
        );
        assert_eq!(r("{{range .Names}}{{$.A}}{{end}}", &v), "xx");
        assert_eq!(r("{{.Names | json}}", &v), r#"["n1","n2"]"#);
        assert_eq!(r("a  {{- .A -}}  b\n {{- .B}}", &v), "axb7");
        assert_eq!(r("{{/* comment */}}{{.A}}", &v), "x");
    }

    #[test]
    fn go_printing_of_values() {
        let v = json!({"S": ["a", "b", "c"], "M": {"b": 2, "a": "x"}, "I": 3, "U": u64::MAX, "F": 1.5,
            "T": true, "N": null, "E": [], "Nested": [{"k": [1, 2]}]});
        assert_eq!(r("{{.S}}", &v), "[a b c]");
        assert_eq!(r("{{.M}}", &v), "map[a:x b:2]");
        assert_eq!(r("{{.I}} {{.U}} {{.F}}", &v), "3 18446744073709551615 1.5");
        assert_eq!(r("{{.T}}", &v), "true");
        assert_eq!(r("{{.E}}", &v), "[]");
        assert_eq!(r("{{.Nested}}", &v), "[map[k:[1 2]]]");
        assert_eq!(
            r("{{range $k, $v := .M}}{{$k}}={{$v}} {{end}}", &v),
            "a=x b=2 "
        );
    }

    #[test]
    fn fields_the_item_lacks_fail_where_docker_fails() {
        let item = json!({"ID": "x", "Names": ["a", "b"], "M": {"k": 1}});
        let err = |template: &str| {
            let format = Format::parse(Some(template)).unwrap();
            let mut out = Vec::new();
            let result = print_list(
                &mut out,
                &format,
                "*t.Item",
                &[],
                std::slice::from_ref(&item),
            );
            result.err().map(|e| e.to_string())
        };
        assert_eq!(
            err("{{.ID}}\n  {{$.Bogus.X}}").as_deref(),
            Some(
                r#"template parsing error: template: :2:4: executing "" at <$.Bogus.X>: can't evaluate field Bogus in type *t.Item"#
            )
        );
        assert_eq!(err("{{range .Names}}{{.}}{{end}}"), None);
        assert_eq!(
            err("{{with .M}}{{.nope}}{{end}}{{if .ID}}{{.ID}}{{end}}"),
            None
        );
        assert!(err("{{if .ID}}{{.Nope}}{{end}}").is_some());
        assert_eq!(err("{{.M.nope}}"), None);
    }

    #[test]
    fn missing_keys_print_no_value() {
        let v = json!({"A": {"B": 1}, "N": null});
        assert_eq!(r("{{.Missing}}", &v), "<no value>");
        assert_eq!(r("{{.A.Missing}}", &v), "<no value>");
        assert_eq!(r("{{.N}}", &v), "<no value>");
        assert_eq!(r(r#"{{index .A "zz"}}"#, &v), "<no value>");
        assert_eq!(r("{{json .Missing}}", &v), "null");
    }

    #[test]
    fn json_function_matches_go_encoder() {
        let v = json!({"b": "<a&b>", "a": [1, 2.5, true, null], "f": 3.0, "big": 1e21, "small": 1e-7,
            "ctl": "t\tn\nq\"\u{1}\u{2028}"});
        assert_eq!(
            r("{{json .}}", &v),
            r#"{"a":[1,2.5,true,null],"b":"<a&b>","big":1e+21,"ctl":"t\tn\nq\"\u0001\u2028","f":3,"small":1e-7}"#
        );
        assert_eq!(r("{{json .b}}", &v), r#""<a&b>""#);
    }

    #[test]
    fn format_parse() {
        assert_eq!(Format::parse(None).unwrap(), Format::Default);
        assert_eq!(Format::parse(Some("")).unwrap(), Format::Default);
        assert_eq!(Format::parse(Some("json")).unwrap(), Format::Json);
        assert_eq!(Format::parse(Some("table")).unwrap(), Format::Table(None));
        assert_eq!(Format::parse(Some("table ")).unwrap(), Format::Table(None));
        assert_eq!(
            Format::parse(Some(r"table {{.ID}}\t{{.Names}}")).unwrap(),
            Format::Table(Some("{{.ID}}\t{{.Names}}".into()))
        );
        assert_eq!(
            Format::parse(Some(r" {{.ID}}\n")).unwrap(),
            Format::Template("{{.ID}}\n".into())
        );
        assert_eq!(
            Format::parse(Some("{{json .}}")).unwrap(),
            Format::Template("{{json .}}".into())
        );
    }

    #[test]
    fn template_lists_print_one_line_per_item() {
        let out = list(Some("{{.ID}}: {{.Repository}}"), IMAGE_COLUMNS, &images());
        assert_eq!(
            out,
            "abc123def456: alpine\n0123456789ab: docker.io/library/busybox\n"
        );
        // Without `table` a tab stays a tab: nothing is aligned.
        let out = list(Some(r"{{.Tag}}\t{{.ID}}"), IMAGE_COLUMNS, &images());
        assert_eq!(out, "latest\tabc123def456\n1.36\t0123456789ab\n");
        assert_eq!(list(Some("{{.ID}}"), IMAGE_COLUMNS, &[]), "");
    }

    #[test]
    fn default_table_is_aligned_like_docker() {
        let out = list(None, IMAGE_COLUMNS, &images());
        assert_eq!(
            out,
            "REPOSITORY                  TAG       IMAGE ID\n\
             alpine                      latest    abc123def456\n\
             docker.io/library/busybox   1.36      0123456789ab\n"
        );
        assert_eq!(list(Some("table"), IMAGE_COLUMNS, &images()), out);
        // With nothing to list docker still prints the header; short names get the 10-column minimum.
        assert_eq!(
            list(None, IMAGE_COLUMNS, &[]),
            "REPOSITORY   TAG       IMAGE ID\n"
        );
    }

    #[test]
    fn table_template_maps_headers() {
        let columns = [
            ("CONTAINER ID", "{{.ID}}"),
            ("NAMES", "{{.Names}}"),
            ("STATUS", "{{.Status}}"),
        ];
        let items = [
            json!({"ID": "0123456789ab", "Names": "web", "Status": "Up 2 minutes", "Image": "nginx"}),
            json!({"ID": "ba9876543210", "Names": "database-primary", "Status": "Exited (0)", "Image": "postgres:16"}),
        ];
        let out = list(
            Some(r"table {{.ID}}\t{{.Names}}\t{{.Status}}"),
            &columns,
            &items,
        );
        assert_eq!(
            out,
            "CONTAINER ID   NAMES              STATUS\n\
             0123456789ab   web                Up 2 minutes\n\
             ba9876543210   database-primary   Exited (0)\n"
        );
        // A field that is no default column gets its name upper-cased; functions leave header names alone.
        let out = list(
            Some(r"table {{.Image | upper}}\t{{truncate .ID 4}}"),
            &columns,
            &items,
        );
        assert_eq!(
            out,
            "IMAGE         CONTAINER ID\nNGINX         0123\nPOSTGRES:16   ba98\n"
        );
        // Literal text appears in the header too, as in docker.
        let out = list(Some("table id={{.ID}}"), &columns, &items[..1]);
        assert_eq!(out, "id=CONTAINER ID\nid=0123456789ab\n");
    }

    #[test]
    fn json_list_prints_one_object_per_line() {
        let out = list(Some("json"), IMAGE_COLUMNS, &images()[..1]);
        assert_eq!(
            out,
            "{\"ID\":\"abc123def456\",\"Repository\":\"alpine\",\"Tag\":\"latest\"}\n"
        );
    }

    #[test]
    fn tabwriter_rules() {
        // Columns are blocks of consecutive lines; a line without tabs ends the block.
        assert_eq!(
            align_columns("a\tb\nccc\td\nplain\nxxxxxxxxxxxxxx\ty\n"),
            "a         b\nccc       d\nplain\nxxxxxxxxxxxxxx   y\n"
        );
        // Empty cells are padded too; trailing text is never padded.
        assert_eq!(
            align_columns("\tx\ta\nlonger-than-ten\t\tb\n"),
            format!(
                "{}x{}a\nlonger-than-ten{}b\n",
                " ".repeat(18),
                " ".repeat(9),
                " ".repeat(13)
            )
        );
        // Wide characters count two columns.
        assert_eq!(
            align_columns("名前名前名前\tx\nab\ty\n"),
            "名前名前名前   x\nab             y\n"
        );
    }

    #[test]
    fn many_columns_do_not_overflow_the_stack() {
        // Found by fuzzing: one level of recursion a column ran out of stack.
        let row = "x\t".repeat(200_000);
        let aligned = align_columns(&format!("{row}\n{row}end\n"));
        let padded = format!("x{}", " ".repeat(MIN_WIDTH - 1)).repeat(200_000);
        assert_eq!(aligned, format!("{padded}\n{padded}end\n"));
    }

    #[test]
    fn inspect_objects() {
        let items = [json!({"Id": "abc", "State": {"Running": true, "Tags": [], "Env": {}}})];
        let (out, result) = objects(None, &items);
        result.unwrap();
        assert_eq!(
            out,
            "[\n    {\n        \"Id\": \"abc\",\n        \"State\": {\n            \"Env\": {},\n            \"Running\": true,\n            \"Tags\": []\n        }\n    }\n]\n"
        );
        assert_eq!(objects(None, &[]).0, "[]\n");
        assert_eq!(
            objects(Some("json"), &items).0,
            "[{\"Id\":\"abc\",\"State\":{\"Env\":{},\"Running\":true,\"Tags\":[]}}]\n"
        );
        let two = [json!({"Name": "a"}), json!({"Name": "b"})];
        assert_eq!(objects(Some("{{.Name}}"), &two).0, "a\nb\n");
        // docker prints a lone newline when there is nothing to show.
        assert_eq!(objects(Some("{{.Name}}"), &[]).0, "\n");
        // A failing item is reported after the others were printed.
        let mixed = [json!({"Name": "a"}), json!({"Name": "b"})];
        let (out, result) = objects(
            Some(r#"{{if eq .Name "b"}}{{.Name.Deep}}{{end}}{{.Name}}"#),
            &mixed,
        );
        assert_eq!(out, "a\n");
        assert!(result
            .unwrap_err()
            .to_string()
            .starts_with("template parsing error: template: "));
    }

    #[test]
    fn errors_are_reported() {
        let err = Format::parse(Some("{{.ID")).unwrap_err().to_string();
        assert!(
            err.starts_with("template parsing error: template: :1: "),
            "{err}"
        );
        let err = Format::parse(Some("table {{.ID}}\n{{if}}"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("template parsing error: template: :2: "),
            "{err}"
        );
        let err = Format::parse(Some("{{foo .ID}}")).unwrap_err().to_string();
        assert_eq!(
            err,
            "template parsing error: template: :1: function \"foo\" not defined"
        );
        let err = render("{{.A.B}}", &json!({"A": "s"}))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("template parsing error: template: "),
            "{err}"
        );
        assert!(render("{{upper 5}}", &json!({}))
            .unwrap_err()
            .to_string()
            .contains("expected string"));
        assert!(render("{{truncate . -1}}", &json!("x")).is_err());
        assert!(render("{{join . \",\"}}", &json!("not a list")).is_err());
        // A failing row prints nothing at all.
        let mut out = Vec::new();
        let format = Format::parse(Some("{{.ID.X}}")).unwrap();
        assert!(print_list(&mut out, &format, "image", IMAGE_COLUMNS, &images()).is_err());
        assert!(out.is_empty());
    }
}
