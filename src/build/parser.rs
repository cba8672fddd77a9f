//! Reads a Dockerfile into a list of instructions, each with its keyword, flags, arguments,
//! heredocs and line numbers. Nothing is expanded or interpreted here beyond what decides
//! where an instruction and its arguments begin and end; `instructions` gives them meaning.
//!
//! The rules are docker's, quirks included, because users' Dockerfiles depend on them:
//! parser directives (`# escape=`, `# syntax=`, `# check=`) only at the very top; the escape
//! character at the end of a line continues the instruction; comment lines and blank lines
//! inside a continuation are skipped; a JSON array that does not parse is shell form; a
//! heredoc (`RUN <<EOF`) takes the lines up to its terminator.

use super::shell::{EnvList, Lexer};
use serde::Serialize;
use std::fmt;

/// A Dockerfile, read.
#[derive(Debug, Clone, Serialize)]
pub struct Dockerfile {
    /// The escape character (`\`, or `` ` `` with `# escape=`` ` ``): instructions use it
    /// when expanding their words.
    pub escape: char,
    /// The `# syntax=` directive. skiff has one built-in front end, so it is only reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub syntax: Option<String>,
    pub nodes: Vec<Node>,
    /// Accepted but deprecated constructs (empty continuation lines), as docker warns.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    pub line: usize,
    pub message: String,
}

/// One instruction as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    /// The instruction keyword as written (`RUN`, `run`); compare it case-insensitively.
    pub keyword: String,
    /// Leading `--name=value` words, quotes and escapes removed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    pub args: Args,
    /// The arguments were a JSON array (exec form).
    pub json: bool,
    /// Heredoc bodies, in the order of their markers on the line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub heredocs: Vec<Heredoc>,
    /// The instruction on one line: continuations joined, comment lines dropped.
    pub source: String,
    pub start_line: usize,
    pub end_line: usize,
}

/// The arguments of an instruction, split the way that instruction splits them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Args {
    /// Words: a JSON array's strings; or whitespace-separated words (FROM, EXPOSE, and COPY,
    /// ADD and VOLUME in shell form); or the rest of the line as one string (RUN, CMD,
    /// ENTRYPOINT and SHELL in shell form, USER, WORKDIR, ...); or ARG's words with their
    /// quotes still in place. Empty when the instruction has no arguments.
    Words(Vec<String>),
    /// ENV and LABEL: `key=value` pairs, quotes still in place.
    Pairs(Vec<Pair>),
    /// ONBUILD: the instruction it adds to images built from this one.
    Trigger(Box<Node>),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pair {
    pub key: String,
    pub value: String,
    /// Written in the legacy `ENV key value` form, without `=`.
    pub legacy: bool,
}

/// A here-document: `<<EOF` on the instruction line, its lines up to `EOF`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Heredoc {
    /// The terminator word, unquoted: `EOF` for `<<'EOF'`. COPY uses it as the file name.
    pub name: String,
    /// The descriptor it feeds, as in `3<<EOF`; 0 when none was written.
    pub fd: u32,
    /// No part of the terminator word was quoted, so variables in the body are expanded.
    pub expand: bool,
    /// `<<-EOF`: leading tabs are removed from the body's lines and the terminator's.
    pub chomp: bool,
    /// The lines between the marker and the terminator, line endings included.
    pub content: String,
}

impl Heredoc {
    /// The body as the instruction sees it: with `<<-`, leading tabs removed from each line.
    pub fn body(&self) -> String {
        if !self.chomp {
            return self.content.clone();
        }
        self.content
            .split_inclusive('\n')
            .map(|line| line.trim_start_matches('\t'))
            .collect()
    }
}

/// A Dockerfile that cannot be built, with the line to blame:
/// `Dockerfile:7: unknown instruction: RUNN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerfileError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl DockerfileError {
    pub fn new(line: usize, message: impl Into<String>) -> DockerfileError {
        DockerfileError {
            file: "Dockerfile".into(),
            line,
            message: message.into(),
        }
    }

    /// Names the file in the message as the user gave it (`-f build/app.Dockerfile`).
    pub fn in_file(mut self, file: &str) -> DockerfileError {
        self.file = file.to_string();
        self
    }
}

impl fmt::Display for DockerfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for DockerfileError {}

/// Every instruction docker knows, as the parser lower-cases them.
pub const INSTRUCTIONS: [&str; 18] = [
    "add",
    "arg",
    "cmd",
    "copy",
    "entrypoint",
    "env",
    "expose",
    "from",
    "healthcheck",
    "label",
    "maintainer",
    "onbuild",
    "run",
    "shell",
    "stopsignal",
    "user",
    "volume",
    "workdir",
];

/// Reads a whole Dockerfile. A byte-order mark is ignored; CRLF line endings are accepted.
pub fn parse(text: &str) -> Result<Dockerfile, DockerfileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = Lines {
        lines: text.split_inclusive('\n').collect(),
        next: 0,
    };
    let mut directives = Directives::new();
    let mut nodes = Vec::new();
    let mut warnings = Vec::new();
    while let Some(raw) = lines.next() {
        let start_line = lines.number();
        let line = trim_line_ending(raw).trim_start();
        directives
            .read(line)
            .map_err(|message| DockerfileError::new(start_line, message))?;
        let Some(logical) = read_logical_line(line, &mut lines, directives.escape) else {
            continue;
        };
        if logical.had_empty_lines {
            warnings.push(Warning {
                line: lines.number(),
                message: format!("Empty continuation line found in: {}", logical.text),
            });
        }
        let located = |message: String| DockerfileError::new(start_line, message);
        let mut node = parse_instruction(&logical.text, directives.escape).map_err(located)?;
        if node.may_have_heredocs() && logical.text.contains("<<") {
            for marker in heredoc_markers(&logical.text).map_err(located)? {
                node.heredocs
                    .push(read_heredoc(marker, &mut lines).map_err(located)?);
            }
        }
        node.set_lines(start_line, lines.number());
        nodes.push(node);
    }
    if nodes.is_empty() {
        return Err(DockerfileError::new(
            lines.number().max(1),
            "file with no instructions",
        ));
    }
    Ok(Dockerfile {
        escape: directives.escape,
        syntax: directives.syntax,
        nodes,
        warnings,
    })
}

/// The physical lines, line endings kept (heredoc bodies need them), numbered from 1.
struct Lines<'a> {
    lines: Vec<&'a str>,
    next: usize,
}

impl<'a> Lines<'a> {
    fn next(&mut self) -> Option<&'a str> {
        let line = self.lines.get(self.next).copied();
        self.next += usize::from(line.is_some());
        line
    }

    /// The number of the line last returned.
    fn number(&self) -> usize {
        self.next
    }
}

fn trim_line_ending(line: &str) -> &str {
    line.trim_end_matches(['\r', '\n'])
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Parser directives: `# name=value` comment lines before anything else in the file.
struct Directives {
    escape: char,
    syntax: Option<String>,
    seen: Vec<String>,
    done: bool,
}

impl Directives {
    fn new() -> Directives {
        Directives {
            escape: '\\',
            syntax: None,
            seen: Vec::new(),
            done: false,
        }
    }

    /// Looks at a line (leading blanks removed) while directives may still appear: the first
    /// line that is not a known directive, a blank line included, ends them for good.
    fn read(&mut self, line: &str) -> Result<(), String> {
        if self.done {
            return Ok(());
        }
        let Some((name, value)) = line.strip_prefix('#').and_then(split_directive) else {
            self.done = true;
            return Ok(());
        };
        let name = name.to_ascii_lowercase();
        if !["syntax", "escape", "check"].contains(&name.as_str()) {
            self.done = true;
            return Ok(());
        }
        if self.seen.contains(&name) {
            return Err(format!("only one {name} parser directive can be used"));
        }
        match name.as_str() {
            "escape" => {
                self.escape = match value {
                    "\\" => '\\',
                    "`" => '`',
                    _ => {
                        return Err(format!(
                            "invalid escape token '{value}' does not match ` or \\"
                        ))
                    }
                }
            }
            // `check` configures docker's build checks (lint rules), which skiff does not run.
            "syntax" => self.syntax = Some(value.to_string()),
            _ => {}
        }
        self.seen.push(name);
        Ok(())
    }
}

/// Whitespace as directives see it (no vertical tab, unlike the rest of the parser).
fn is_directive_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c')
}

/// `name = value` after the `#`: a name of ASCII letters and digits starting with a letter,
/// then `=`, then a non-empty value with surrounding blanks removed.
fn split_directive(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start();
    let name_len = text
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(text.len());
    let name = &text[..name_len];
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let after_equals = text[name_len..]
        .trim_start_matches(is_directive_space)
        .strip_prefix('=')?;
    let value = after_equals.trim_matches(is_directive_space);
    match (value.is_empty(), after_equals.chars().last()) {
        (false, _) => Some((name, value)),
        // Only blanks after `=`: docker takes the last one as the value.
        (true, Some(blank)) => Some((name, &after_equals[after_equals.len() - blank.len_utf8()..])),
        (true, None) => None,
    }
}

/// If the line ends with the escape character (blanks after it allowed), the line without
/// it, and true. An escape that is itself escaped (`\\` at the end) does not continue.
fn strip_continuation(line: &str, escape: char) -> (&str, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    let Some(before) = trimmed.strip_suffix(escape) else {
        return (line, false);
    };
    if before.ends_with(escape) {
        return (line, false);
    }
    (before, true)
}

struct LogicalLine {
    text: String,
    had_empty_lines: bool,
}

/// Joins `first` with the lines that continue it. None for a line that holds nothing (blank,
/// comment, or a directive).
fn read_logical_line(first: &str, lines: &mut Lines, escape: char) -> Option<LogicalLine> {
    if is_comment(first) {
        return None;
    }
    let (text, mut continued) = strip_continuation(first, escape);
    if !continued && text.is_empty() {
        return None;
    }
    let mut logical = LogicalLine {
        text: text.to_string(),
        had_empty_lines: false,
    };
    while continued {
        let Some(raw) = lines.next() else { break };
        let line = trim_line_ending(raw);
        if is_comment(line) {
            continue;
        }
        if line.trim_start().is_empty() {
            logical.had_empty_lines = true;
            continue;
        }
        let (text, more) = strip_continuation(line, escape);
        logical.text.push_str(text);
        continued = more;
    }
    Some(logical)
}

/// Blanks that separate an instruction's words (not every Unicode space).
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0b' | '\x0c' | '\r')
}

/// Splits one instruction line into keyword, flags and arguments.
fn parse_instruction(line: &str, escape: char) -> Result<Node, String> {
    let line = line.trim();
    let (keyword, rest) = match line.find(is_blank) {
        Some(at) => (&line[..at], line[at..].trim_start_matches(is_blank)),
        None => (line, ""),
    };
    let (rest, flags) = split_flags(rest, escape);
    let rest = rest.trim();
    let lower = keyword.to_ascii_lowercase();
    let (args, json) = match lower.as_str() {
        "add" | "copy" | "volume" => json_or_words(rest)?,
        "cmd" | "entrypoint" | "run" | "shell" => json_or_string(rest)?,
        "arg" => (Args::Words(quoted_words(rest, escape)), false),
        "env" | "label" => (
            Args::Pairs(pairs(rest, &keyword.to_ascii_uppercase(), escape)?),
            false,
        ),
        "expose" | "from" => (Args::Words(blank_separated(rest)), false),
        "healthcheck" => healthcheck_args(rest)?,
        "maintainer" | "stopsignal" | "user" | "workdir" => (Args::Words(whole(rest)), false),
        "onbuild" if rest.is_empty() => (Args::Words(Vec::new()), false),
        "onbuild" => (
            Args::Trigger(Box::new(parse_instruction(rest, escape)?)),
            false,
        ),
        _ => return Err(unknown_instruction(keyword)),
    };
    Ok(Node {
        keyword: keyword.to_string(),
        flags,
        args,
        json,
        heredocs: Vec::new(),
        source: line.to_string(),
        start_line: 0,
        end_line: 0,
    })
}

/// How much of an unknown keyword an error quotes.
const MAX_QUOTED: usize = 40;

fn unknown_instruction(keyword: &str) -> String {
    // A binary file given as the Dockerfile makes a "keyword" of whatever its first bytes are.
    let mut message = format!(
        "unknown instruction: {}",
        crate::text::excerpt(keyword, MAX_QUOTED)
    );
    if let Some(near) = suggest(keyword, &INSTRUCTIONS) {
        message.push_str(&format!(" (did you mean {near}?)"));
    }
    message
}

/// The known word closest to a misspelt one (at most two edits away), in the case the user
/// wrote: `RUNN` suggests `RUN`.
pub fn suggest(word: &str, known: &[&str]) -> Option<String> {
    let lower = word.to_lowercase();
    let (distance, best) = known
        .iter()
        .map(|k| (edit_distance(&lower, &k.to_lowercase()), *k))
        .min_by_key(|(d, _)| *d)?;
    if distance == 0 || distance > 2 {
        return None;
    }
    Some(if word == word.to_uppercase() {
        best.to_uppercase()
    } else if word == lower {
        best.to_lowercase()
    } else {
        best.to_string()
    })
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            current.push(
                (previous[j] + usize::from(ca != *cb))
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

/// Takes the leading `--flag` words off the arguments. Quotes group and vanish, the escape
/// character protects the next character; a lone `--` ends the flags.
fn split_flags(text: &str, escape: char) -> (String, Vec<String>) {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let rest_from = |i: usize| {
        chars
            .get(i)
            .map_or(String::new(), |&(at, _)| text[at..].to_string())
    };
    let mut flags = Vec::new();
    let mut i = 0;
    loop {
        while chars.get(i).is_some_and(|(_, c)| c.is_whitespace()) {
            i += 1;
        }
        let starts_flag =
            chars.get(i).map(|c| c.1) == Some('-') && chars.get(i + 1).map(|c| c.1) == Some('-');
        if !starts_flag {
            return (rest_from(i), flags);
        }
        let mut word = String::new();
        let mut quoted = false;
        let mut quote: Option<char> = None;
        loop {
            let Some(&(_, ch)) = chars.get(i) else {
                if word != "--" && (quoted || !word.is_empty()) {
                    flags.push(word);
                }
                return (String::new(), flags);
            };
            i += 1;
            match quote {
                None if ch.is_whitespace() => {
                    if word == "--" {
                        return (rest_from(i - 1), flags);
                    }
                    if quoted || !word.is_empty() {
                        flags.push(word);
                    }
                    break;
                }
                None if ch == '\'' || ch == '"' => {
                    quote = Some(ch);
                    quoted = true;
                }
                Some(q) if ch == q => quote = None,
                _ if ch == escape => match chars.get(i) {
                    Some(&(_, next)) => {
                        word.push(next);
                        i += 1;
                    }
                    // A trailing escape is dropped; it also ends an open quote.
                    None => quote = None,
                },
                _ => word.push(ch),
            }
        }
    }
}

/// A JSON array of strings, or None if the text is not JSON. A valid array holding anything
/// but strings is an error rather than shell form: it was meant as JSON.
fn json_array(text: &str) -> Result<Option<Vec<String>>, String> {
    if !text.trim_start().starts_with('[') {
        return Ok(None);
    }
    let Ok(values) = serde_json::from_str::<Vec<serde_json::Value>>(text) else {
        return Ok(None);
    };
    values
        .into_iter()
        .map(|v| match v {
            serde_json::Value::String(s) => Ok(s),
            _ => Err(
                "when using JSON array syntax, arrays must be comprised of strings only"
                    .to_string(),
            ),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// RUN, CMD, ENTRYPOINT, SHELL: a JSON array, or the whole text as one shell command.
fn json_or_string(text: &str) -> Result<(Args, bool), String> {
    if text.is_empty() {
        return Ok((Args::Words(Vec::new()), false));
    }
    Ok(match json_array(text)? {
        Some(words) => (Args::Words(words), true),
        None => (Args::Words(vec![text.to_string()]), false),
    })
}

/// COPY, ADD, VOLUME: a JSON array, or blank-separated words.
fn json_or_words(text: &str) -> Result<(Args, bool), String> {
    Ok(match json_array(text)? {
        Some(words) => (Args::Words(words), true),
        None => (Args::Words(blank_separated(text)), false),
    })
}

fn blank_separated(text: &str) -> Vec<String> {
    text.split(is_blank)
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

fn whole(text: &str) -> Vec<String> {
    if text.is_empty() {
        Vec::new()
    } else {
        vec![text.to_string()]
    }
}

/// HEALTHCHECK: the type word (`CMD`, `NONE`), then the command as for CMD.
fn healthcheck_args(text: &str) -> Result<(Args, bool), String> {
    if text.is_empty() {
        return Ok((Args::Words(Vec::new()), false));
    }
    let (kind, command) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let (command, json) = json_or_string(command.trim_start())?;
    let Args::Words(command) = command else {
        unreachable!("json_or_string gives words")
    };
    Ok((
        Args::Words(std::iter::once(kind.to_string()).chain(command).collect()),
        json,
    ))
}

/// Words separated by whitespace, with their quotes and escapes kept for expansion to remove
/// later; whitespace inside quotes or after the escape character does not separate.
fn quoted_words(text: &str, escape: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match quote {
            None if ch.is_whitespace() => {
                if quoted || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                quoted = false;
                continue;
            }
            None if ch == '\'' || ch == '"' => {
                quote = Some(ch);
                quoted = true;
            }
            Some(q) if ch == q => quote = None,
            // Nothing can be escaped inside single quotes.
            Some('\'') => {}
            _ if ch == escape => {
                let Some(next) = chars.next() else {
                    // A trailing escape is dropped, and ends an open quote.
                    quote = None;
                    continue;
                };
                word.push(ch);
                word.push(next);
                continue;
            }
            _ => {}
        }
        word.push(ch);
    }
    if quoted || !word.is_empty() {
        words.push(word);
    }
    words
}

/// ENV and LABEL: `key=value ...`, or the legacy `key value` whose value is the rest of the
/// line.
fn pairs(text: &str, instruction: &str, escape: char) -> Result<Vec<Pair>, String> {
    let words = quoted_words(text, escape);
    let Some(first) = words.first() else {
        return Ok(Vec::new());
    };
    if !first.contains('=') {
        let Some(at) = text.find(is_blank) else {
            return Err(format!("{instruction} must have two arguments"));
        };
        let value = text[at..].trim_start_matches(is_blank);
        return Ok(vec![Pair {
            key: text[..at].to_string(),
            value: value.to_string(),
            legacy: true,
        }]);
    }
    words
        .iter()
        .map(|word| match word.split_once('=') {
            Some((key, value)) => Ok(Pair {
                key: key.into(),
                value: value.into(),
                legacy: false,
            }),
            None => Err(format!(
                "Syntax error - can't find = in {word:?}. Must be of the form: name=value"
            )),
        })
        .collect()
}

impl Node {
    /// The instruction keyword, lower-cased.
    pub fn instruction(&self) -> String {
        self.keyword.to_ascii_lowercase()
    }

    /// The argument words; empty for ENV/LABEL pairs and ONBUILD.
    pub fn words(&self) -> &[String] {
        match &self.args {
            Args::Words(words) => words,
            _ => &[],
        }
    }

    /// An ONBUILD trigger is on the ONBUILD's lines.
    fn set_lines(&mut self, start: usize, end: usize) {
        (self.start_line, self.end_line) = (start, end);
        if let Args::Trigger(trigger) = &mut self.args {
            trigger.set_lines(start, end);
        }
    }

    /// RUN, COPY and ADD in shell form (also as an ONBUILD trigger) can take heredocs.
    fn may_have_heredocs(&self) -> bool {
        match &self.args {
            Args::Trigger(trigger) => trigger.may_have_heredocs(),
            _ => ["run", "copy", "add"].contains(&self.instruction().as_str()) && !self.json,
        }
    }
}

/// A `<<WORD` marker found on an instruction line.
#[derive(Debug, PartialEq)]
struct HeredocMarker {
    name: String,
    fd: u32,
    expand: bool,
    chomp: bool,
}

/// The heredoc markers of an instruction line, in order. Words are read as the shell lexer
/// reads them with quotes and escapes kept, so `'<<EOF'` and `"<<EOF"` are not markers.
fn heredoc_markers(line: &str) -> Result<Vec<HeredocMarker>, String> {
    let lexer = Lexer {
        keep_quotes: true,
        keep_escapes: true,
        keep_unset: true,
        ..Lexer::new('\\')
    };
    let words = lexer.split(line, &EnvList::new()).unwrap_or_default();
    let mut markers = Vec::new();
    for word in words {
        markers.extend(heredoc_marker(&word)?);
    }
    Ok(markers)
}

/// `[n]<<[-][blanks]WORD` as one word, WORD free of `<`. Quoting any part of WORD turns off
/// expansion of the body; the name is WORD unquoted. A WORD that unquotes to several words
/// is not a marker; an unterminated quote is an error.
fn heredoc_marker(word: &str) -> Result<Option<HeredocMarker>, String> {
    let digits = word.len() - word.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let Some(after) = word[digits..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, after) = match after.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, after),
    };
    let terminator = after.trim_start_matches(is_directive_space);
    if terminator.is_empty() || terminator.contains('<') {
        return Ok(None);
    }
    let env = EnvList::new();
    let unquoted = Lexer {
        keep_unset: true,
        ..Lexer::new('\\')
    };
    let names = unquoted
        .split(terminator, &env)
        .map_err(|e| e.to_string())?;
    let [name] = names.as_slice() else {
        return Ok(None);
    };
    let raw = Lexer {
        keep_quotes: true,
        ..unquoted
    }
    .split(terminator, &env)
    .map_err(|e| e.to_string())?;
    let quotes = |s: &str| s.chars().filter(|c| *c == '\'' || *c == '"').count();
    Ok(Some(HeredocMarker {
        name: name.clone(),
        fd: word[..digits].parse().unwrap_or(0),
        expand: raw.len() == 1 && quotes(&raw[0]) == quotes(name),
        chomp,
    }))
}

/// The name of the heredoc a word marks (`<<EOF`, `<<-'EOF'` give `EOF`), if it is a marker:
/// how COPY and ADD tell inline files from paths, and RUN a lone heredoc from a command.
pub fn heredoc_name(word: &str) -> Option<String> {
    heredoc_marker(word)
        .ok()
        .flatten()
        .map(|marker| marker.name)
}

/// Takes the body lines of a heredoc up to its terminator.
fn read_heredoc(marker: HeredocMarker, lines: &mut Lines) -> Result<Heredoc, String> {
    let mut content = String::new();
    while let Some(raw) = lines.next() {
        let line = trim_line_ending(raw);
        let candidate = if marker.chomp {
            line.trim_start_matches('\t')
        } else {
            line
        };
        if candidate == marker.name {
            return Ok(Heredoc {
                name: marker.name,
                fd: marker.fd,
                expand: marker.expand,
                chomp: marker.chomp,
                content,
            });
        }
        content.push_str(raw);
    }
    Err(format!("unterminated heredoc {}", marker.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    /// Renders a node as docker's parser tests print their parse trees: an s-expression with
    /// the keyword lower-cased, flags as a Go string list and arguments as Go quoted strings.
    fn render(node: &Node) -> String {
        let mut out = format!("({}", node.instruction());
        if !node.flags.is_empty() {
            let flags: Vec<String> = node.flags.iter().map(|f| go_quote(f)).collect();
            out.push_str(&format!(" [{}]", flags.join(" ")));
        }
        match &node.args {
            Args::Words(words) => words
                .iter()
                .for_each(|w| out.push_str(&format!(" {}", go_quote(w)))),
            Args::Pairs(pairs) => {
                for p in pairs {
                    let separator = if p.legacy { "" } else { "=" };
                    out.push_str(&format!(
                        " {} {} {}",
                        go_quote(&p.key),
                        go_quote(&p.value),
                        go_quote(separator)
                    ));
                }
            }
            Args::Trigger(trigger) => out.push_str(&format!(" {}", render(trigger))),
        }
        out.push(')');
        out
    }

    /// A string quoted as Go's `strconv.Quote` does.
    fn go_quote(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\x07' => out.push_str("\\a"),
                '\x08' => out.push_str("\\b"),
                '\x0c' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\x0b' => out.push_str("\\v"),
                c if (c as u32) < 0x20 || c == '\x7f' => {
                    out.push_str(&format!("\\x{:02x}", c as u32))
                }
                c if c.is_control() || (c.is_whitespace() && c != ' ') || c == '\u{feff}' => {
                    if (c as u32) < 0x10000 {
                        out.push_str(&format!("\\u{:04x}", c as u32));
                    } else {
                        out.push_str(&format!("\\U{:08x}", c as u32));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    fn testdata() -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/testdata/buildkit-dockerfile/parser");
        assert!(dir.is_dir(), "{} is missing: the shared Dockerfile test data must be checked out beside the repository", dir.display());
        dir
    }

    fn case_dirs(dir: &Path) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        dirs.sort();
        dirs
    }

    fn read(path: &Path) -> String {
        String::from_utf8(std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
            .unwrap()
    }

    #[test]
    fn every_testfile_parses_to_its_result() {
        let cases = case_dirs(&testdata().join("testfiles"));
        let mut failures = Vec::new();
        for case in &cases {
            let rendered = match parse(&read(&case.join("Dockerfile"))) {
                Ok(file) => file
                    .nodes
                    .iter()
                    .map(|n| render(n) + "\n")
                    .collect::<String>(),
                Err(e) => format!("error: {e}\n"),
            };
            let want = read(&case.join("result"));
            if rendered != want {
                failures.push(format!(
                    "{}:\n--- want\n{want}--- got\n{rendered}",
                    case.display()
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} cases differ:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
        assert!(cases.len() >= 30, "only {} cases found", cases.len());
        eprintln!("parser testfiles: {0}/{0} agree", cases.len());
    }

    #[test]
    fn every_negative_testfile_is_rejected() {
        let cases = case_dirs(&testdata().join("testfiles-negative"));
        for case in &cases {
            let result = parse(&read(&case.join("Dockerfile")));
            assert!(
                result.is_err(),
                "{} parsed: {:?}",
                case.display(),
                result.map(|f| f.nodes)
            );
        }
        assert!(cases.len() >= 4, "only {} cases found", cases.len());
        eprintln!("parser testfiles-negative: {0}/{0} rejected", cases.len());
    }

    #[test]
    fn line_numbers_of_testfile_line() {
        let file = parse(&read(&testdata().join("testfile-line/Dockerfile"))).unwrap();
        let lines: Vec<(usize, usize)> = file
            .nodes
            .iter()
            .map(|n| (n.start_line, n.end_line))
            .collect();
        assert_eq!(lines, [(5, 5), (11, 12), (17, 31)]);
    }

    fn nodes(text: &str) -> Vec<Node> {
        parse(text).unwrap_or_else(|e| panic!("{e}")).nodes
    }

    fn one(text: &str) -> Node {
        let mut all = nodes(text);
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    #[test]
    fn errors_name_the_line() {
        let err =
            parse("FROM busybox\n\n# a comment\nRUN true\n\nRUN \\\n  true\nRUNN x\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Dockerfile:8: unknown instruction: RUNN (did you mean RUN?)"
        );
        assert_eq!(
            err.in_file("build/app.Dockerfile").to_string(),
            "build/app.Dockerfile:8: unknown instruction: RUNN (did you mean RUN?)"
        );
        assert_eq!(
            parse("FROM a\nxyzzy bar\n").unwrap_err().to_string(),
            "Dockerfile:2: unknown instruction: xyzzy"
        );
        assert_eq!(
            parse("FROM a\nonbuild runn x\n").unwrap_err().message,
            "unknown instruction: runn (did you mean run?)"
        );
        assert_eq!(
            parse("FROM a\nENV PATH\n").unwrap_err().to_string(),
            "Dockerfile:2: ENV must have two arguments"
        );
        assert_eq!(
            parse("FROM a\nLABEL a=b c\n").unwrap_err().message,
            "Syntax error - can't find = in \"c\". Must be of the form: name=value"
        );
        assert_eq!(
            parse("\n\n# only a comment\n").unwrap_err().to_string(),
            "Dockerfile:3: file with no instructions"
        );
        assert_eq!(parse("").unwrap_err().line, 1);
    }

    #[test]
    fn directives() {
        let file = parse(
            "# syntax=docker/dockerfile:1\n# check=skip=all\n#escape=`\nFROM a\nRUN echo \\\n",
        )
        .unwrap();
        assert_eq!(
            (file.escape, file.syntax.as_deref()),
            ('`', Some("docker/dockerfile:1"))
        );
        assert_eq!(file.nodes[1].words(), ["echo \\"]);
        assert_eq!(
            parse("# escape=x\nFROM a\n").unwrap_err().to_string(),
            "Dockerfile:1: invalid escape token 'x' does not match ` or \\"
        );
        assert_eq!(
            parse("# escape=`\n# ESCAPE=`\nFROM a\n")
                .unwrap_err()
                .message,
            "only one escape parser directive can be used"
        );
        // Directives only count at the top: after a blank line, a comment or an unknown
        // directive they are comments.
        for late in [
            "\n# escape=`\n",
            "# hello\n# escape=`\n",
            "# unknown=1\n# escape=`\n",
            "FROM a\n# escape=`\n",
        ] {
            let file = parse(&format!("{late}FROM a\nRUN a \\\nb\n")).unwrap();
            assert_eq!(file.escape, '\\', "{late:?}");
            assert_eq!(file.nodes.last().unwrap().words(), ["a b"]);
        }
    }

    #[test]
    fn byte_order_mark_and_crlf() {
        let file = parse("\u{feff}FROM a\r\nRUN one \\\r\n  two\r\n").unwrap();
        assert_eq!(file.nodes[0].words(), ["a"]);
        assert_eq!(file.nodes[1].words(), ["one   two"]);
    }

    #[test]
    fn continuation_lines() {
        let node = one("RUN a \\\n  # a comment\n\n  b \\\n\t\\\n  c\n");
        assert_eq!(node.words(), ["a   b \t  c"]);
        assert_eq!((node.start_line, node.end_line), (1, 6));
        let file = parse("FROM a\nRUN a \\\n\n  b\n").unwrap();
        assert_eq!(file.warnings.len(), 1);
        assert_eq!(
            file.warnings[0].message,
            "Empty continuation line found in: RUN a   b"
        );
    }

    #[test]
    fn flags() {
        let node = one("COPY --from=build --chown=\"app user\":app --chmod=0755 --link --parents=false a b /dst/\n");
        assert_eq!(
            node.flags,
            [
                "--from=build",
                "--chown=app user:app",
                "--chmod=0755",
                "--link",
                "--parents=false"
            ]
        );
        assert_eq!(node.words(), ["a", "b", "/dst/"]);
        let node =
            one("RUN --mount=type=cache,target=/root/.cache --network=none -- --not-a-flag\n");
        assert_eq!(
            node.flags,
            ["--mount=type=cache,target=/root/.cache", "--network=none"]
        );
        assert_eq!(node.words(), ["--not-a-flag"]);
        let node = one("FROM --platform=$BUILDPLATFORM golang:1 AS build\n");
        assert_eq!(node.flags, ["--platform=$BUILDPLATFORM"]);
        assert_eq!(node.words(), ["golang:1", "AS", "build"]);
    }

    #[test]
    fn keywords_are_case_insensitive() {
        let file = parse("from a\nRun echo\ncoPY [\"a\", \"b\"] \n").unwrap();
        let instructions: Vec<String> = file.nodes.iter().map(Node::instruction).collect();
        assert_eq!(instructions, ["from", "run", "copy"]);
        assert!(file.nodes[2].json);
    }

    #[test]
    fn json_and_shell_forms() {
        assert_eq!(one("CMD [\"a\", \"b c\"]").words(), ["a", "b c"]);
        assert!(one("CMD [\"a\"]").json);
        // Not JSON: shell form, as written.
        let node = one("CMD ['a']");
        assert_eq!(
            (node.words(), node.json),
            (&["['a']".to_string()][..], false)
        );
        assert_eq!(one("ENTRYPOINT [\"a\" ").words(), ["[\"a\""]);
        // JSON, but not all strings: an error.
        assert!(parse("CMD [\"a\", 1]").is_err());
        assert_eq!(one("VOLUME /a /b").words(), ["/a", "/b"]);
        assert_eq!(one("VOLUME [\"/a b\"]").words(), ["/a b"]);
    }

    #[test]
    fn env_label_and_arg_words() {
        let node = one("ENV A=1 B=\"two words\" C=three\\ words D='x y'\n");
        let pairs: Vec<(&str, &str, bool)> = match &node.args {
            Args::Pairs(p) => p
                .iter()
                .map(|p| (p.key.as_str(), p.value.as_str(), p.legacy))
                .collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            pairs,
            [
                ("A", "1", false),
                ("B", "\"two words\"", false),
                ("C", "three\\ words", false),
                ("D", "'x y'", false)
            ]
        );
        let node = one("LABEL  description  a long   text\n");
        assert_eq!(
            node.args,
            Args::Pairs(vec![Pair {
                key: "description".into(),
                value: "a long   text".into(),
                legacy: true
            }])
        );
        assert_eq!(one("ARG A B=\"1 2\" C=").words(), ["A", "B=\"1 2\"", "C="]);
    }

    #[test]
    fn onbuild_nests_an_instruction() {
        let node = one("ONBUILD COPY --chown=1 . /app\n");
        let Args::Trigger(trigger) = &node.args else {
            panic!("{node:?}")
        };
        assert_eq!((trigger.start_line, trigger.end_line), (1, 1));
        assert_eq!(
            (trigger.instruction(), &trigger.flags, trigger.words()),
            (
                "copy".to_string(),
                &vec!["--chown=1".to_string()],
                &[".".to_string(), "/app".to_string()][..]
            )
        );
    }

    fn heredocs(text: &str) -> Vec<(String, u32, bool, bool, String)> {
        one(text)
            .heredocs
            .into_iter()
            .map(|h| (h.name, h.fd, h.expand, h.chomp, h.content))
            .collect()
    }

    fn doc(
        name: &str,
        fd: u32,
        expand: bool,
        chomp: bool,
        content: &str,
    ) -> (String, u32, bool, bool, String) {
        (name.to_string(), fd, expand, chomp, content.to_string())
    }

    #[test]
    fn heredoc_bodies() {
        assert_eq!(
            heredocs("RUN <<EOF\n\tfoo\n# not a comment\n\nEOF\n"),
            [doc("EOF", 0, true, false, "\tfoo\n# not a comment\n\n")]
        );
        assert_eq!(
            heredocs("RUN 3<<EMPTY\nEMPTY\n"),
            [doc("EMPTY", 3, true, false, "")]
        );
        assert_eq!(
            heredocs("RUN <<-EOF\n\tbaz\n\tEOF\n"),
            [doc("EOF", 0, true, true, "\tbaz\n")]
        );
        assert_eq!(
            heredocs("RUN <<-'EOF'\n\t$X\nEOF\n"),
            [doc("EOF", 0, false, true, "\t$X\n")]
        );
        assert_eq!(
            heredocs("RUN <<eo'f'\nx\neof\n"),
            [doc("eof", 0, false, false, "x\n")]
        );
        assert_eq!(
            heredocs("RUN <<eo\\'f\nx\neo'f\n"),
            [doc("eo'f", 0, true, false, "x\n")]
        );
        assert_eq!(
            heredocs("RUN <<'e'o\\'f\nx\neo'f\n"),
            [doc("eo'f", 0, false, false, "x\n")]
        );
        assert_eq!(
            heredocs("RUN <<'one two'\nx\none two\n"),
            [doc("one two", 0, false, false, "x\n")]
        );
        assert_eq!(
            heredocs("RUN <<$EOF\n$EOF\n"),
            [doc("$EOF", 0, true, false, "")]
        );
        assert_eq!(
            heredocs("RUN <<  EOF  > out\nx\nEOF\n"),
            [doc("EOF", 0, true, false, "x\n")]
        );
        assert_eq!(
            heredocs("RUN << -EOF\n-EOF\n"),
            [doc("-EOF", 0, true, false, "")]
        );
        assert_eq!(
            heredocs("RUN <<COMPLEX python3\nprint(1)\nCOMPLEX\n"),
            [doc("COMPLEX", 0, true, false, "print(1)\n")]
        );
        assert_eq!(
            heredocs("COPY <<X <<Y /dest\nY\nX\nX\nY\n"),
            [
                doc("X", 0, true, false, "Y\n"),
                doc("Y", 0, true, false, "X\n")
            ]
        );
        assert_eq!(
            heredocs("RUN --mount=type=cache,target=/c <<EOF\nls\nEOF\n"),
            [doc("EOF", 0, true, false, "ls\n")]
        );
    }

    #[test]
    fn not_heredocs() {
        for text in [
            "RUN \"<<EOF\"\n",
            "RUN '<<EOF'\n",
            "RUN [\"<<EOF\"]\n",
            "USER <<EOF\n",
            "RUN echo <<<EOF\n",
            "RUN a << \n",
        ] {
            assert_eq!(one(text).heredocs, [], "{text:?}");
        }
        // A USER line with `<<` has no heredoc, so the next line is an instruction.
        assert_eq!(nodes("USER <<EOF\nENV EOF=1\n").len(), 2);
    }

    #[test]
    fn heredoc_errors_and_lines() {
        assert_eq!(
            parse("FROM a\nRUN <<EOF\nx\n").unwrap_err().to_string(),
            "Dockerfile:2: unterminated heredoc EOF"
        );
        assert!(parse("RUN <<'EOF\nEOF\n").is_err());
        let file = parse("FROM a\nCOPY <<A <<B /\na\nA\nb\nB\nRUN x\n").unwrap();
        let lines: Vec<(usize, usize)> = file
            .nodes
            .iter()
            .map(|n| (n.start_line, n.end_line))
            .collect();
        assert_eq!(lines, [(1, 1), (2, 6), (7, 7)]);
    }

    #[test]
    fn heredoc_in_onbuild_trigger() {
        let node = one("ONBUILD RUN <<EOF\necho hi\nEOF\n");
        assert_eq!(node.heredocs.len(), 1);
        assert_eq!(node.heredocs[0].content, "echo hi\n");
    }

    #[test]
    fn chomped_body() {
        let h = Heredoc {
            name: "E".into(),
            fd: 0,
            expand: true,
            chomp: true,
            content: "\thello\n\t\tworld\nend".into(),
        };
        assert_eq!(h.body(), "hello\nworld\nend");
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("RUNN", &INSTRUCTIONS).as_deref(), Some("RUN"));
        assert_eq!(
            suggest("Workdirr", &INSTRUCTIONS).as_deref(),
            Some("workdir")
        );
        assert_eq!(suggest("xyzzy", &INSTRUCTIONS), None);
    }

    #[test]
    fn go_quoting() {
        assert_eq!(go_quote("a\"b\\c\t\u{0}é☃"), "\"a\\\"b\\\\c\\t\\x00é☃\"");
    }
}
