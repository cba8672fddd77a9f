//! Text from outside (file contents, archive member names, registry answers) made fit for
//! a terminal before skiff prints it: a corrupt or hostile file must not be able to move
//! the cursor, change colours or flood the screen through an error message.

/// `text` with every control character except newline and tab written as an escape
/// (`\u{1b}`), so that what reaches the terminal is only ever shown, never obeyed.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// At most `max` characters of `text`, [`printable`], with `...` where it was cut: for
/// quoting what a file says in an error.
pub fn excerpt(text: &str, max: usize) -> String {
    let cut = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
    let tail = if cut < text.len() { "..." } else { "" };
    format!("{}{tail}", printable(&text[..cut]).replace('\n', "\\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(printable("a\u{1b}[31mb\r\nc\td"), "a\\u{1b}[31mb\\r\nc\td");
        assert_eq!(printable("\u{9b}2J"), "\\u{9b}2J");
        assert_eq!(printable("plain: ünïcode"), "plain: ünïcode");
    }

    #[test]
    fn excerpts_are_short_and_on_one_line() {
        assert_eq!(excerpt("RUNN", 40), "RUNN");
        assert_eq!(excerpt("abcdef", 3), "abc...");
        assert_eq!(excerpt("a\nb\u{7}", 10), "a\\nb\\u{7}");
    }
}
