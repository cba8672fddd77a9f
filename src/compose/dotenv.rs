//! The `.env` and `env_file` grammar of the compose specification: `KEY=VALUE` lines, optional
//! `export `, `#` comments, single quotes (literal), double quotes (escapes and interpolation,
//! may span lines), unquoted values (interpolated, trailing ` # comment` dropped), and a bare
//! `KEY` that takes its value from the environment.

use super::template::{substitute, Lookup};
use anyhow::{anyhow, bail, Result};

/// One file's variables, in the order the file defines them.
pub type Variables = Vec<(String, String)>;

/// Parses a dotenv file. References in values are looked up in `lookup` first (the shell's
/// environment wins, as in docker compose), then among the file's earlier variables.
pub fn parse(text: &str, lookup: Lookup) -> Result<Variables> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut vars = Variables::new();
    let mut rest = text;
    loop {
        rest = skip_blank_and_comments(rest);
        if rest.is_empty() {
            return Ok(vars);
        }
        let line = text[..text.len() - rest.len()].matches('\n').count() + 1;
        let (entry, tail) =
            parse_entry(rest, &vars, lookup).map_err(|e| anyhow!("line {line}: {e}"))?;
        vars.extend(entry);
        rest = tail;
    }
}

fn skip_blank_and_comments(mut text: &str) -> &str {
    loop {
        text = text.trim_start();
        match text.strip_prefix('#') {
            Some(comment) => text = comment.split_once('\n').map_or("", |(_, next)| next),
            None => return text,
        }
    }
}

/// Parses the entry at the start of `text`: its variable (none for an inherited variable that
/// the environment lacks) and the text after it.
fn parse_entry<'t>(
    text: &'t str,
    earlier: &Variables,
    lookup: Lookup,
) -> Result<(Option<(String, String)>, &'t str)> {
    let text = strip_export(text);
    let key_end = text.find(['=', '\n']).unwrap_or(text.len());
    let key = checked_key(text[..key_end].trim())?.to_string();
    let Some(value_text) = text[key_end..].strip_prefix('=') else {
        // A bare name inherits the environment's value, or is left out.
        let inherited = lookup(&key).map(|value| (key, value));
        return Ok((inherited, &text[key_end..]));
    };
    let value_text = value_text.trim_start_matches([' ', '\t']);
    let resolve = |name: &str| {
        lookup(name).or_else(|| {
            earlier
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    };
    let (value, tail) = match value_text.chars().next() {
        Some('\'') => {
            let (inner, tail) = quoted(&value_text[1..], '\'')?;
            (inner.replace("\\'", "'"), tail)
        }
        Some('"') => {
            let (inner, tail) = quoted(&value_text[1..], '"')?;
            (substitute(&unescape_double_quoted(inner), &resolve)?, tail)
        }
        _ => {
            let end = value_text.find('\n').unwrap_or(value_text.len());
            let value = without_inline_comment(&value_text[..end]).trim();
            (substitute(value, &resolve)?, &value_text[end..])
        }
    };
    Ok((Some((key, value)), tail))
}

fn strip_export(text: &str) -> &str {
    match text.strip_prefix("export") {
        Some(rest) if rest.starts_with([' ', '\t']) => rest.trim_start_matches([' ', '\t']),
        _ => text,
    }
}

/// A variable name: letters, digits and `_ . -`, as docker compose accepts.
fn checked_key(key: &str) -> Result<&str> {
    if key.is_empty() {
        bail!("empty variable name");
    }
    match key
        .chars()
        .find(|&c| !(c.is_alphanumeric() || "_.-".contains(c)))
    {
        Some(c) => bail!("unexpected character {c:?} in variable name {key:?}"),
        None => Ok(key),
    }
}

/// Splits `text` (just after an opening `quote`) into the quoted text and the rest of the text
/// after the closing quote's line; a backslash escapes the quote.
fn quoted(text: &str, quote: char) -> Result<(&str, &str)> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == quote => {
                let after = &text[i + 1..];
                let tail = after.find('\n').map_or("", |n| &after[n..]);
                return Ok((&text[..i], tail));
            }
            _ => {}
        }
    }
    bail!("unterminated quoted value")
}

/// Expands the escapes of a double-quoted value. `\$` becomes `$$`, so that interpolation then
/// yields a literal `$`.
fn unescape_double_quoted(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('$') => out.push_str("$$"),
            Some(c @ ('"' | '\\')) => out.push(c),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// An unquoted value ends where a `#` that follows whitespace starts a comment.
fn without_inline_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    (1..bytes.len())
        .find(|&i| bytes[i] == b'#' && bytes[i - 1].is_ascii_whitespace())
        .map_or(value, |i| &value[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/testdata/compose/compose-go/dotenv-fixtures/"
    );

    fn os_env(name: &str) -> Option<String> {
        (name == "VAR_TO_BE_LOADED_FROM_OS_ENV").then(|| "from the os".to_string())
    }

    fn load(fixture: &str) -> Result<Variables> {
        let text = std::fs::read_to_string(format!("{FIXTURES}{fixture}")).unwrap();
        parse(&text, &os_env)
    }

    fn assert_vars(fixture: &str, want: &[(&str, &str)]) {
        let got = load(fixture).unwrap();
        let want: Variables = want
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(got, want, "{fixture}");
    }

    const PLAIN: &[(&str, &str)] = &[
        ("OPTION_A", "1"),
        ("OPTION_B", "2"),
        ("OPTION_C", "3"),
        ("OPTION_D", "4"),
        ("OPTION_E", "5"),
        ("456", "ABC"),
        ("OPTION_F", ""),
        ("OPTION_G", ""),
        ("OPTION_H", "my string"),
    ];

    #[test]
    fn plain_values_are_trimmed_and_lose_inline_comments() {
        assert_vars("plain.env", PLAIN);
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        assert_vars("utf8-bom.env", PLAIN);
    }

    #[test]
    fn quotes_decide_escapes() {
        assert_vars(
            "quoted.env",
            &[
                ("OPTION_A", "1"),
                ("OPTION_B", "2"),
                ("OPTION_C", ""),
                ("OPTION_D", "\\n"),
                ("OPTION_E", "1"),
                ("OPTION_F", "2"),
                ("OPTION_G", ""),
                ("OPTION_H", "\n"),
                ("OPTION_I", "echo 'asd'"),
                ("OPTION_J", "first line\nsecond line\nthird line\nand so on"),
                ("OPTION_K", "Let's go!"),
                ("OPTION_Z", "last value"),
            ],
        );
    }

    #[test]
    fn unquoted_phrases_keep_their_spaces() {
        assert_vars(
            "unquoted.env",
            &[
                ("OPTION_A", "some quoted phrase"),
                ("OPTION_B", "first one with an unquoted phrase"),
                ("OPTION_C", "then another one with an unquoted phrase"),
                (
                    "OPTION_D",
                    "then another one with an unquoted phrase special è char",
                ),
                ("OPTION_E", "then another one quoted phrase"),
            ],
        );
    }

    #[test]
    fn export_prefixes_are_dropped() {
        assert_vars("exported.env", &[("OPTION_A", "2"), ("OPTION_B", "\\n")]);
        assert_vars(
            "equals.env",
            &[(
                "OPTION_A",
                "postgres://localhost:5432/database?sslmode=disable",
            )],
        );
    }

    #[test]
    fn names_may_hold_dots_and_dashes() {
        assert_vars(
            "special.env",
            &[
                ("VAR.WITH.DOTS", "dots"),
                ("VAR_WITH_UNDERSCORES", "underscores"),
                ("VAR-WITH-DASHES", "dashes"),
            ],
        );
    }

    #[test]
    fn values_refer_to_earlier_variables() {
        let want = [
            ("OPTION_A", "1"),
            ("OPTION_B", "1"),
            ("OPTION_C", "1"),
            ("OPTION_D", "1_1"),
            ("OPTION_E", ""),
        ];
        assert_vars("substitutions.env", &want);
        assert_vars("substitutions-default.env", &want);
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let env = |name: &str| (name == "OPTION_A").then(|| "shell".to_string());
        let vars = parse("OPTION_A=file\nOPTION_B=$OPTION_A\n", &env).unwrap();
        assert_eq!(vars[1], ("OPTION_B".into(), "shell".into()));
    }

    #[test]
    fn bare_names_inherit_from_the_environment() {
        assert_vars(
            "inherited-single-var.env",
            &[("VAR_TO_BE_LOADED_FROM_OS_ENV", "from the os")],
        );
        assert_vars(
            "inherited-multi-var.env",
            &[
                ("foo", "bar"),
                ("VAR_TO_BE_LOADED_FROM_OS_ENV", "from the os"),
                ("bar", "baz"),
            ],
        );
        assert_vars("inherited-not-found.env", &[]);
    }

    #[test]
    fn an_invalid_line_is_named() {
        let message = load("invalid1.env").unwrap_err().to_string();
        assert_eq!(
            message,
            "line 7: unexpected character ' ' in variable name \"INVALID LINE\""
        );
    }

    #[test]
    fn double_quotes_escape_dollars_and_interpolate() {
        let env = |name: &str| (name == "V").then(|| "v".to_string());
        let vars = parse(r#"A="\$V ${V} \"q\"""#, &env).unwrap();
        assert_eq!(vars[0].1, "$V v \"q\"");
        assert!(parse("A=\"open\n", &env).is_err());
    }
}
