//! Interpolation of `$VAR`-style references in compose file values and `.env` values, with the
//! operators of the compose specification: `${V:-d} ${V-d} ${V:?err} ${V?err} ${V:+x} ${V+x}`,
//! nested references inside the operand, and `$$` for a literal `$`.

use anyhow::{bail, Result};

/// Looks a variable up: `None` when it is unset, which the operators tell apart from empty.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Replaces every reference in `template` by its value. An unset `${V:?msg}` or a malformed
/// `${...}` is an error; a `$` that starts no reference (as in `$1` or `a $ b`) stays as it is,
/// as in docker compose.
pub fn substitute(template: &str, lookup: Lookup) -> Result<String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        rest = if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            tail
        } else if let Some(body) = after.strip_prefix('{') {
            let end = closing_brace(body)
                .ok_or_else(|| anyhow::anyhow!("invalid template: {template:?}"))?;
            out.push_str(&braced(&body[..end], template, lookup)?);
            &body[end + 1..]
        } else {
            let name_len = name_length(after);
            if name_len == 0 {
                out.push('$');
            } else {
                out.push_str(&lookup(&after[..name_len]).unwrap_or_default());
            }
            &after[name_len..]
        };
    }
    out.push_str(rest);
    Ok(out)
}

/// The length of the variable name that starts `text`: `[A-Za-z_][A-Za-z0-9_]*`, or 0.
fn name_length(text: &str) -> usize {
    let starts = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !starts {
        return 0;
    }
    text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len())
}

/// Where the `}` that closes a `${` is in `body` (the text after the `{`), counting the braces
/// of nested references in the operand.
fn closing_brace(body: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The value of one `${...}` whose inside is `body`.
fn braced(body: &str, template: &str, lookup: Lookup) -> Result<String> {
    let name_len = name_length(body);
    if name_len == 0 {
        bail!("invalid template: {template:?}");
    }
    let (name, operation) = body.split_at(name_len);
    let value = lookup(name);
    if operation.is_empty() {
        return Ok(value.unwrap_or_default());
    }
    // `:` makes an empty value count as unset.
    let (empty_is_unset, operation) = match operation.strip_prefix(':') {
        Some(op) => (true, op),
        None => (false, operation),
    };
    let set = value
        .as_deref()
        .is_some_and(|v| !(empty_is_unset && v.is_empty()));
    let mut chars = operation.chars();
    let operator = chars.next();
    let operand = chars.as_str();
    match operator {
        Some('-') if set => Ok(value.unwrap_or_default()),
        Some('-') => substitute(operand, lookup),
        Some('+') if set => substitute(operand, lookup),
        Some('+') => Ok(String::new()),
        Some('?') if set => Ok(value.unwrap_or_default()),
        Some('?') => {
            let reason = substitute(operand, lookup)?;
            if reason.is_empty() {
                bail!("required variable {name} is missing a value");
            }
            bail!("required variable {name} is missing a value: {reason}")
        }
        _ => bail!("invalid template: {template:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "SET" => Some("value".into()),
            "EMPTY" => Some(String::new()),
            "OTHER" => Some("other".into()),
            _ => None,
        }
    }

    fn sub(template: &str) -> Result<String> {
        substitute(template, &env)
    }

    #[test]
    fn values_and_operators() {
        let table = [
            ("plain", "plain"),
            ("$SET", "value"),
            ("${SET}", "value"),
            ("a-$SET-b", "a-value-b"),
            ("$SET.x", "value.x"),
            ("$UNSET", ""),
            ("${UNSET}", ""),
            ("$$SET", "$SET"),
            ("$${SET}", "${SET}"),
            ("cost $5", "cost $5"),
            ("end $", "end $"),
            ("${SET:-d}", "value"),
            ("${EMPTY:-d}", "d"),
            ("${UNSET:-d}", "d"),
            ("${SET-d}", "value"),
            ("${EMPTY-d}", ""),
            ("${UNSET-d}", "d"),
            ("${SET:+x}", "x"),
            ("${EMPTY:+x}", ""),
            ("${UNSET:+x}", ""),
            ("${SET+x}", "x"),
            ("${EMPTY+x}", "x"),
            ("${UNSET+x}", ""),
            ("${SET:?err}", "value"),
            ("${EMPTY?err}", ""),
            ("${UNSET:-${OTHER}}", "other"),
            ("${UNSET:-${ALSO_UNSET:-deep}}", "deep"),
            ("${UNSET:-a $SET b}", "a value b"),
            ("${UNSET:-}", ""),
            ("${SET:+${OTHER}-$SET}", "other-value"),
            ("${UNSET-{x}}", "{x}"),
        ];
        for (template, want) in table {
            assert_eq!(sub(template).unwrap(), want, "{template}");
        }
    }

    #[test]
    fn required_variables_name_the_reason() {
        let message = sub("${UNSET:?must be set}").unwrap_err().to_string();
        assert_eq!(
            message,
            "required variable UNSET is missing a value: must be set"
        );
        let message = sub("${EMPTY:?}").unwrap_err().to_string();
        assert_eq!(message, "required variable EMPTY is missing a value");
        assert!(sub("${UNSET?err}").is_err());
    }

    #[test]
    fn malformed_references_are_refused() {
        for template in ["${}", "${SET", "${1A}", "${SET:}", "${SET:=x}", "${A B}"] {
            let message = sub(template).unwrap_err().to_string();
            assert!(
                message.starts_with("invalid template"),
                "{template}: {message}"
            );
        }
    }
}
