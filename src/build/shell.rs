//! Variable expansion and word splitting for Dockerfile words, the way docker's builder does
//! them: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alt}`, `${VAR-x}`, `${VAR+x}`,
//! `${VAR:?err}`, `${VAR#pat}` / `##` / `%` / `%%`, `${VAR/pat/repl}`, single and double
//! quotes, and the escape character of the Dockerfile's `# escape=` directive.
//!
//! This is not a shell: there is no command substitution, arithmetic or globbing, and words
//! are only split on whitespace. Users rely on the exact results (an unset variable expands
//! to nothing, `${X:?}` fails the build, quotes vanish in `ENV A="b c"`), so the behaviour
//! follows docker's builder rather than POSIX where the two differ.

use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// Where variables are looked up.
pub trait Env {
    fn lookup(&self, name: &str) -> Option<&str>;
}

impl Env for HashMap<String, String> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl Env for BTreeMap<String, String> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

/// An ordered set of variables, as a container's environment is: setting a name again
/// replaces its value in place, so the order is the order of first definition.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EnvList(Vec<(String, String)>);

impl EnvList {
    pub fn new() -> EnvList {
        EnvList::default()
    }

    pub fn set(&mut self, name: &str, value: &str) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some(entry) => entry.1 = value.to_string(),
            None => self.0.push((name.to_string(), value.to_string())),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The variables in order of first definition.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

impl Env for EnvList {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name)
    }
}

/// A word that cannot be expanded: an unterminated quote, a bad `${...}`, or `${X:?message}`
/// with X unset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellError(pub String);

impl fmt::Display for ShellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ShellError {}

fn error<T>(message: impl Into<String>) -> Result<T, ShellError> {
    Err(ShellError(message.into()))
}

/// How words are read. The defaults are what instructions get; the other modes serve the
/// parser's heredoc detection and the expansion of heredoc bodies.
#[derive(Clone, Copy, Debug)]
pub struct Lexer {
    pub escape: char,
    /// Quote characters stay in the output (they still group words).
    pub keep_quotes: bool,
    /// Escape characters stay in the output (they still protect the next character).
    pub keep_escapes: bool,
    /// Quotes are ordinary characters: for heredoc bodies, where `'` is text.
    pub literal_quotes: bool,
    /// An unset variable stays as written (`$X`, `${X:-d}`) instead of expanding to nothing.
    pub keep_unset: bool,
}

impl Lexer {
    pub fn new(escape: char) -> Lexer {
        Lexer {
            escape,
            keep_quotes: false,
            keep_escapes: false,
            literal_quotes: false,
            keep_unset: false,
        }
    }

    /// Expands variables and removes quotes and escapes, keeping whitespace as is: what
    /// ENV values, COPY paths, WORKDIR and the like get.
    pub fn expand(&self, word: &str, env: &dyn Env) -> Result<String, ShellError> {
        self.read(word, env).map(|(text, _)| text)
    }

    /// Like [`Lexer::expand`], then splits into words on unquoted whitespace, including
    /// whitespace that came from a variable's value (`EXPOSE $PORTS`).
    pub fn split(&self, word: &str, env: &dyn Env) -> Result<Vec<String>, ShellError> {
        self.read(word, env).map(|(_, words)| words)
    }

    fn read(&self, word: &str, env: &dyn Env) -> Result<(String, Vec<String>), ShellError> {
        let mut reader = Reader {
            lexer: self,
            env,
            chars: word.chars().collect(),
            pos: 0,
            keep_escapes: self.keep_escapes,
        };
        reader
            .read_until(None, self.keep_escapes)
            .map_err(|e| ShellError(format!("failed to process {word:?}: {e}")))
    }
}

/// The words being built while reading: whitespace ends a word unless it was quoted or
/// escaped; quoted text starts a word even when empty but an empty word is never emitted.
#[derive(Default)]
struct Words {
    done: Vec<String>,
    current: String,
    in_word: bool,
}

impl Words {
    /// A character as written or from a variable: whitespace separates words.
    fn push_splittable(&mut self, ch: char) {
        if !ch.is_whitespace() {
            self.push_literal(ch);
        } else if self.in_word && !self.current.is_empty() {
            self.done.push(std::mem::take(&mut self.current));
            self.in_word = false;
        }
    }

    /// A character that belongs to the current word whatever it is (escaped or quoted).
    fn push_literal(&mut self, ch: char) {
        self.current.push(ch);
        self.in_word = true;
    }

    fn push_splittable_str(&mut self, text: &str) {
        text.chars().for_each(|c| self.push_splittable(c));
    }

    fn push_literal_str(&mut self, text: &str) {
        self.current.push_str(text);
        self.in_word = true;
    }

    fn finish(mut self) -> Vec<String> {
        if !self.current.is_empty() {
            self.done.push(self.current);
        }
        self.done
    }
}

struct Reader<'a> {
    lexer: &'a Lexer,
    env: &'a dyn Env,
    chars: Vec<char>,
    pos: usize,
    /// Whether escape characters are kept: on for the whole read in some modes, and while
    /// reading a `#`/`%`/`/` pattern, where the escapes matter to the pattern itself.
    keep_escapes: bool,
}

impl Reader<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let ch = self.peek();
        if ch.is_some() {
            self.pos += 1;
        }
        ch
    }

    /// Reads to the end, or up to and past `stop` (the `}` of `${X:-word}`); a missing
    /// `stop` is an error.
    fn read_until(
        &mut self,
        stop: Option<char>,
        keep_escapes: bool,
    ) -> Result<(String, Vec<String>), ShellError> {
        let saved = std::mem::replace(&mut self.keep_escapes, keep_escapes);
        let result = self.read_until_inner(stop);
        self.keep_escapes = saved;
        result
    }

    fn read_until_inner(
        &mut self,
        stop: Option<char>,
    ) -> Result<(String, Vec<String>), ShellError> {
        let mut text = String::new();
        let mut words = Words::default();
        while let Some(ch) = self.peek() {
            if Some(ch) == stop {
                self.pos += 1;
                return Ok((text, words.finish()));
            }
            match ch {
                '$' => {
                    let value = self.dollar()?;
                    words.push_splittable_str(&value);
                    text.push_str(&value);
                }
                '<' => {
                    let value = self.possible_heredoc();
                    words.push_literal_str(&value);
                    text.push_str(&value);
                }
                '\'' | '"' if !self.lexer.literal_quotes => {
                    let value = if ch == '\'' {
                        self.single_quoted()?
                    } else {
                        self.double_quoted()?
                    };
                    words.push_literal_str(&value);
                    text.push_str(&value);
                }
                _ => {
                    self.pos += 1;
                    if ch != self.lexer.escape {
                        words.push_splittable(ch);
                        text.push(ch);
                        continue;
                    }
                    if self.keep_escapes {
                        words.push_literal(ch);
                        text.push(ch);
                    }
                    // An escape at the very end escapes nothing and is dropped.
                    let Some(escaped) = self.next() else { break };
                    words.push_literal(escaped);
                    text.push(escaped);
                }
            }
        }
        match stop {
            Some(stop) => error(format!(
                "unexpected end of statement while looking for matching {stop}"
            )),
            None => Ok((text, words.finish())),
        }
    }

    /// `'...'`: everything literal up to the next `'`; nothing can be escaped.
    fn single_quoted(&mut self) -> Result<String, ShellError> {
        let mut out = String::new();
        let open = self.next();
        if self.lexer.keep_quotes {
            out.extend(open);
        }
        loop {
            match self.next() {
                None => {
                    return error(
                        "unexpected end of statement while looking for matching single-quote",
                    )
                }
                Some('\'') => {
                    if self.lexer.keep_quotes {
                        out.push('\'');
                    }
                    return Ok(out);
                }
                Some(ch) => out.push(ch),
            }
        }
    }

    /// `"..."`: variables expand; the escape character protects `"`, `$` and itself and is
    /// kept literally before anything else.
    fn double_quoted(&mut self) -> Result<String, ShellError> {
        let mut out = String::new();
        let open = self.next();
        if self.lexer.keep_quotes {
            out.extend(open);
        }
        loop {
            match self.peek() {
                None => {
                    return error(
                        "unexpected end of statement while looking for matching double-quote",
                    )
                }
                Some('"') => {
                    self.pos += 1;
                    if self.lexer.keep_quotes {
                        out.push('"');
                    }
                    return Ok(out);
                }
                Some('$') => out.push_str(&self.dollar()?),
                Some(mut ch) => {
                    self.pos += 1;
                    if ch == self.lexer.escape {
                        if self.keep_escapes {
                            out.push(ch);
                        }
                        match self.peek() {
                            // The missing closing quote is reported on the next turn.
                            None => continue,
                            Some(next)
                                if next == '"' || next == '$' || next == self.lexer.escape =>
                            {
                                self.pos += 1;
                                ch = next;
                            }
                            Some(_) => {}
                        }
                    }
                    out.push(ch);
                }
            }
        }
    }

    /// `<<` and the blanks after it stay together, so `<< EOF` reads as one word: that is how
    /// the parser finds heredoc markers written with a space.
    fn possible_heredoc(&mut self) -> String {
        self.pos += 1;
        if self.peek() != Some('<') {
            return "<".into();
        }
        self.pos += 1;
        let mut out = String::from("<<");
        while let Some(ch @ (' ' | '\t' | '\r')) = self.peek() {
            out.push(ch);
            self.pos += 1;
        }
        out
    }

    /// A variable name: letters, digits and `_`; or all the digits of a positional
    /// parameter (`$10`); or one special parameter (`$@`, `$#`, ...). Positional and special
    /// parameters are never set in a Dockerfile, so they expand to nothing.
    fn name(&mut self) -> String {
        let mut name = String::new();
        match self.peek() {
            Some(c) if c.is_numeric() => {
                while let Some(c) = self.peek().filter(|c| c.is_numeric()) {
                    name.push(c);
                    self.pos += 1;
                }
                return name;
            }
            Some(c @ ('@' | '*' | '#' | '?' | '-' | '$' | '!' | '0')) => {
                self.pos += 1;
                return c.to_string();
            }
            _ => {}
        }
        while let Some(c) = self.peek().filter(|c| c.is_alphanumeric() || *c == '_') {
            name.push(c);
            self.pos += 1;
        }
        name
    }

    fn lookup(&self, name: &str) -> Option<String> {
        self.env.lookup(name).map(str::to_string)
    }

    /// `$NAME` or `${...}`, at the `$`.
    fn dollar(&mut self) -> Result<String, ShellError> {
        self.pos += 1;
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".into());
            }
            return Ok(match self.lookup(&name) {
                Some(value) => value,
                None if self.lexer.keep_unset => format!("${name}"),
                None => String::new(),
            });
        }
        self.pos += 1;
        match self.peek() {
            None => return error("syntax error: missing '}'"),
            Some('{' | '}' | ':') => return error("syntax error: bad substitution"),
            Some(_) => {}
        }
        let name = self.name();
        match self.next() {
            Some('}') => Ok(match self.lookup(&name) {
                Some(value) => value,
                None if self.lexer.keep_unset => format!("${{{name}}}"),
                None => String::new(),
            }),
            Some(':') => match self.next() {
                Some(op @ ('-' | '+' | '?')) => self.modifier(&name, op, true),
                other => error(format!(
                    "unsupported modifier (:{}) in substitution",
                    other.map(String::from).unwrap_or_default()
                )),
            },
            Some(op @ ('-' | '+' | '?' | '#' | '%')) => self.modifier(&name, op, false),
            Some('/') => self.replacement(&name),
            None => error("syntax error: missing '}'"),
            Some(other) => error(format!("unsupported modifier ({other}) in substitution")),
        }
    }

    /// The word of `${NAME<op>word}` read up to its `}`, reporting a missing `}` as such.
    fn modifier_word(&mut self, stop: char, keep_escapes: bool) -> Result<String, ShellError> {
        match self.read_until(Some(stop), keep_escapes) {
            Ok((word, _)) => Ok(word),
            Err(_) if self.peek().is_none() => error(format!("syntax error: missing '{stop}'")),
            Err(e) => Err(e),
        }
    }

    /// `${NAME-word}`, `${NAME+word}`, `${NAME?word}`, `${NAME#pat}`, `${NAME%pat}`; with
    /// `colon` (`${NAME:-word}` ...) an empty value counts as unset.
    fn modifier(&mut self, name: &str, op: char, colon: bool) -> Result<String, ShellError> {
        let is_pattern = op == '#' || op == '%';
        let word = self.modifier_word('}', is_pattern)?;
        let value = self.lookup(name);
        if value.is_none() && self.lexer.keep_unset {
            return Ok(format!(
                "${{{name}{}{op}{word}}}",
                if colon { ":" } else { "" }
            ));
        }
        let unset = value.is_none() || (colon && value.as_deref() == Some(""));
        match op {
            '-' => Ok(if unset {
                word
            } else {
                value.unwrap_or_default()
            }),
            '+' => Ok(if unset { String::new() } else { word }),
            '?' => match value {
                Some(value) if !unset => Ok(value),
                _ => {
                    let default = if value.is_none() {
                        "is not allowed to be unset"
                    } else {
                        "is not allowed to be empty"
                    };
                    error(format!(
                        "{name}: {}",
                        if word.is_empty() { default } else { &word }
                    ))
                }
            },
            _ => {
                // `##` and `%%` remove the longest match, `#` and `%` the shortest.
                let (longest, pattern) = match word.strip_prefix(op) {
                    Some(rest) => (true, rest),
                    None => (false, word.as_str()),
                };
                let pattern = Pattern::parse(pattern)?;
                let value: Vec<char> = value.unwrap_or_default().chars().collect();
                let kept = if op == '#' {
                    pattern.strip_prefix(&value, longest)
                } else {
                    pattern.strip_suffix(&value, longest)
                };
                Ok(kept.iter().collect())
            }
        }
    }

    /// `${NAME/pattern/replacement}` (first match) and `${NAME//pattern/replacement}` (all).
    fn replacement(&mut self, name: &str) -> Result<String, ShellError> {
        let all = self.peek() == Some('/');
        if all {
            self.pos += 1;
        }
        let pattern = self.modifier_word('/', true)?;
        let replacement = self.modifier_word('}', true)?;
        let Some(value) = self.lookup(name) else {
            if self.lexer.keep_unset {
                return Ok(format!("${{{name}/{pattern}/{replacement}}}"));
            }
            return Ok(String::new());
        };
        let compiled = Pattern::parse(&pattern)?;
        let value: Vec<char> = value.chars().collect();
        Ok(compiled.replace(&value, &replacement, all))
    }
}

/// A `${X#pattern}` pattern: `*` is any run of characters, `?` any one character; the
/// escape `\` makes `*`, `?` and `\` literal and can hide a `}` or `/` from the `${}`.
#[derive(Debug, PartialEq)]
enum PatternPart {
    Literal(char),
    AnyOne,
    AnyRun,
}

struct Pattern(Vec<PatternPart>);

impl Pattern {
    fn parse(text: &str) -> Result<Pattern, ShellError> {
        let mut parts = Vec::new();
        let mut chars = text.chars().peekable();
        while let Some(ch) = chars.next() {
            parts.push(match ch {
                '*' => PatternPart::AnyRun,
                '?' => PatternPart::AnyOne,
                '\\' => match chars.peek().copied() {
                    Some('}' | '/') => continue,
                    Some(c @ ('*' | '?' | '\\')) => {
                        chars.next();
                        PatternPart::Literal(c)
                    }
                    other => {
                        let shown = other.map(String::from).unwrap_or_default();
                        return error(format!("invalid pattern ({text}) in substitution: invalid escape '\\{shown}'"));
                    }
                },
                c => PatternPart::Literal(c),
            });
        }
        Ok(Pattern(parts))
    }

    /// Whether the pattern matches all of `text`. Worked out from the pattern's end backwards,
    /// one row per part of whether the rest matches the text from each position: trying every
    /// length for each `*` instead takes exponential time on a run of `*`s.
    fn matches(&self, text: &[char]) -> bool {
        // rest[p]: the parts after the current one match text[p..].
        let mut rest: Vec<bool> = (0..=text.len()).map(|p| p == text.len()).collect();
        let mut row = vec![false; text.len() + 1];
        for part in self.0.iter().rev() {
            for p in (0..=text.len()).rev() {
                let c = text.get(p);
                row[p] = match part {
                    PatternPart::AnyRun => rest[p] || (c.is_some() && row[p + 1]),
                    PatternPart::AnyOne => c.is_some() && rest[p + 1],
                    PatternPart::Literal(want) => c == Some(want) && rest[p + 1],
                };
            }
            std::mem::swap(&mut rest, &mut row);
        }
        rest[0]
    }

    fn strip_prefix<'t>(&self, text: &'t [char], longest: bool) -> &'t [char] {
        let mut lengths: Vec<usize> = (0..=text.len()).collect();
        if longest {
            lengths.reverse();
        }
        match lengths.into_iter().find(|&n| self.matches(&text[..n])) {
            Some(n) => &text[n..],
            None => text,
        }
    }

    fn strip_suffix<'t>(&self, text: &'t [char], longest: bool) -> &'t [char] {
        let mut lengths: Vec<usize> = (0..=text.len()).collect();
        if longest {
            lengths.reverse();
        }
        match lengths
            .into_iter()
            .find(|&n| self.matches(&text[text.len() - n..]))
        {
            Some(n) => &text[..text.len() - n],
            None => text,
        }
    }

    /// The leftmost match starting at or after `from`, longest at that position.
    fn find(&self, text: &[char], from: usize) -> Option<(usize, usize)> {
        (from..=text.len()).find_map(|start| {
            (start..=text.len())
                .rev()
                .find(|&end| self.matches(&text[start..end]))
                .map(|end| (start, end))
        })
    }

    fn replace(&self, text: &[char], replacement: &str, all: bool) -> String {
        let mut out = String::new();
        let mut pos = 0;
        while let Some((start, end)) = self.find(text, pos) {
            out.extend(&text[pos..start]);
            out.push_str(replacement);
            pos = end;
            if end == start {
                // An empty match replaces nothing in between: step over one character.
                match text.get(pos) {
                    Some(c) => out.push(*c),
                    None => return out,
                }
                pos += 1;
            }
            if !all {
                break;
            }
        }
        out.extend(text.get(pos..).unwrap_or_default());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvList {
        let mut env = EnvList::new();
        for (k, v) in pairs {
            env.set(k, v);
        }
        env
    }

    fn expand(word: &str, env: &EnvList) -> Result<String, ShellError> {
        Lexer::new('\\').expand(word, env)
    }

    #[test]
    fn defaults_alternatives_and_errors() {
        let e = env(&[("SET", "v"), ("EMPTY", "")]);
        assert_eq!(
            expand("${UNSET-d}|${EMPTY-d}|${EMPTY:-d}|${SET:-d}", &e).unwrap(),
            "d||d|v"
        );
        assert_eq!(
            expand("${UNSET+a}|${EMPTY+a}|${EMPTY:+a}|${SET:+a}", &e).unwrap(),
            "|a||a"
        );
        assert_eq!(expand("${EMPTY?}", &e).unwrap(), "");
        assert_eq!(
            expand("${UNSET?need it}", &e).unwrap_err().to_string(),
            "failed to process \"${UNSET?need it}\": UNSET: need it"
        );
        assert_eq!(
            expand("${EMPTY:?}", &e).unwrap_err().to_string(),
            "failed to process \"${EMPTY:?}\": EMPTY: is not allowed to be empty"
        );
    }

    #[test]
    fn prefix_and_suffix_removal() {
        let e = env(&[("P", "linux/arm64/v8"), ("F", "archive.tar.gz")]);
        assert_eq!(expand("${P%/*}", &e).unwrap(), "linux/arm64");
        assert_eq!(expand("${P%%/*}", &e).unwrap(), "linux");
        assert_eq!(expand("${P#*/}", &e).unwrap(), "arm64/v8");
        assert_eq!(expand("${P##*/}", &e).unwrap(), "v8");
        assert_eq!(expand("${F%.*}", &e).unwrap(), "archive.tar");
        assert_eq!(expand("${F#nomatch}", &e).unwrap(), "archive.tar.gz");
        assert_eq!(expand(r"${F%\*}", &e).unwrap(), "archive.tar.gz");
        assert_eq!(expand("${UNSET#x}", &e).unwrap(), "");
        assert!(expand("${F:#x}", &e).is_err(), "no colon form for patterns");
    }

    #[test]
    fn replacement() {
        let e = env(&[("V", "a-b-c")]);
        assert_eq!(expand("${V/-/_}", &e).unwrap(), "a_b-c");
        assert_eq!(expand("${V//-/_}", &e).unwrap(), "a_b_c");
        assert_eq!(expand("${V/b*/x}", &e).unwrap(), "a-x");
        assert_eq!(expand("${V/z/x}", &e).unwrap(), "a-b-c");
        assert!(expand("${V/a", &e).is_err());
    }

    #[test]
    fn patterns_do_not_backtrack() {
        // Found by fuzzing: a run of `*` took minutes, trying every length for each.
        let e = env(&[("P", "/x/y.z")]);
        let stars = "*".repeat(127);
        assert_eq!(expand(&format!("${{P/{stars}.q/}}"), &e).unwrap(), "/x/y.z");
        assert_eq!(expand(&format!("${{P#{stars}y}}"), &e).unwrap(), ".z");
        assert_eq!(expand(&format!("${{P%%/{stars}}}"), &e).unwrap(), "");
    }

    #[test]
    fn backtick_escape() {
        let e = env(&[("X", "1")]);
        let lexer = Lexer::new('`');
        assert_eq!(lexer.expand(r"C:\dir`$X $X", &e).unwrap(), r"C:\dir$X 1");
        assert_eq!(lexer.expand("\"a`\"b\"", &e).unwrap(), "a\"b");
    }

    #[test]
    fn unset_variables_can_be_kept() {
        let lexer = Lexer {
            keep_unset: true,
            ..Lexer::new('\\')
        };
        let e = env(&[("X", "1")]);
        assert_eq!(
            lexer.expand("$X $Y ${Y} ${Y:-d} ${Y/a/b}", &e).unwrap(),
            "1 $Y ${Y} ${Y:-d} ${Y/a/b}"
        );
    }

    #[test]
    fn raw_modes_keep_quotes_and_escapes() {
        let e = EnvList::new();
        let raw = Lexer {
            keep_quotes: true,
            keep_escapes: true,
            ..Lexer::new('\\')
        };
        assert_eq!(
            raw.split(r#"a 'b c' "d" e\'f"#, &e).unwrap(),
            ["a", "'b c'", "\"d\"", r"e\'f"]
        );
        let literal = Lexer {
            literal_quotes: true,
            ..Lexer::new('\\')
        };
        assert_eq!(literal.expand("it's \"$HOME\"", &e).unwrap(), "it's \"\"");
    }

    #[test]
    fn heredoc_markers_stay_one_word() {
        let e = EnvList::new();
        assert_eq!(
            Lexer::new('\\').split("RUN <<  EOF > out", &e).unwrap(),
            ["RUN", "<<  EOF", ">", "out"]
        );
    }

    #[test]
    fn env_list_keeps_first_position() {
        let mut e = env(&[("A", "1"), ("B", "2")]);
        e.set("A", "3");
        assert_eq!(
            e,
            EnvList(vec![("A".into(), "3".into()), ("B".into(), "2".into())])
        );
    }

    // ---- the shared test data: docker's builder's own expansion cases ----

    fn testdata(file: &str) -> String {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/testdata/buildkit-dockerfile/shell");
        std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("cannot read {} ({e}): the shared Dockerfile test data must be checked out beside the repository", dir.join(file).display()))
    }

    /// `envVarTest`: `PLATFORM | input | expected`; the A (all) and U (unix) rows apply.
    #[test]
    fn env_var_test_data() {
        let e = env(&[
            ("PWD", "/home"),
            ("SHELL", "bash"),
            ("KOREAN", "한국어"),
            ("NULL", ""),
        ]);
        let (mut checked, mut failures) = (0, Vec::new());
        for (number, line) in testdata("envVarTest").lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let columns: Vec<&str> = line.split('|').map(str::trim).collect();
            assert_eq!(columns.len(), 3, "line {}: {line:?}", number + 1);
            let (platform, input, expected) = (columns[0], columns[1], columns[2]);
            if platform == "W" {
                continue;
            }
            checked += 1;
            match (expand(input, &e), expected) {
                (Err(_), "error") => {}
                (Ok(got), want) if got == want => {}
                (got, want) => failures.push(format!(
                    "line {}: {input:?} gave {got:?}, want {want:?}",
                    number + 1
                )),
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {checked} rows differ:\n{}",
            failures.len(),
            failures.join("\n")
        );
        assert!(checked > 200, "only {checked} rows read");
        eprintln!("envVarTest: {checked}/{checked} A and U rows agree");
    }

    /// `wordsTest`: `input | word1,word2` (or `error`); `ENV name=value` lines add variables.
    #[test]
    fn words_test_data() {
        let mut e = EnvList::new();
        let (mut checked, mut failures) = (0, Vec::new());
        for (number, line) in testdata("wordsTest").lines().enumerate() {
            if line.starts_with('#') {
                continue;
            }
            if let Some(assignment) = line.strip_prefix("ENV ") {
                let (name, value) = assignment.trim_start_matches(' ').split_once('=').unwrap();
                e.set(name, value);
                continue;
            }
            let (input, expected) = line
                .split_once('|')
                .unwrap_or_else(|| panic!("line {}: no '|' in {line:?}", number + 1));
            let expected: Vec<&str> = expected.trim_start_matches(' ').split(',').collect();
            checked += 1;
            let got = Lexer::new('\\')
                .split(input.trim(), &e)
                .unwrap_or_else(|_| vec!["error".into()]);
            if got != expected {
                failures.push(format!(
                    "line {}: {input:?} gave {got:?}, want {expected:?}",
                    number + 1
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {checked} rows differ:\n{}",
            failures.len(),
            failures.join("\n")
        );
        assert!(checked > 20, "only {checked} rows read");
        eprintln!("wordsTest: {checked}/{checked} rows agree");
    }
}
