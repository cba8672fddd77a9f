//! `.dockerignore`: which files of the build context a build does not see, with docker's
//! rules. One pattern a line, `#` at the start of a line for comments; `*` and `?` match
//! within a path component, `**` any number of components, `[...]` a character class, `\`
//! escapes; a leading `!` re-includes what earlier lines excluded, and the last line that
//! matches a path decides. A leading `/` or `./` means nothing (paths are relative to the
//! context), and a path is excluded when one of its parent directories is.
//!
//! A `<Dockerfile>.dockerignore` beside the Dockerfile (`app.Dockerfile.dockerignore` for
//! `-f app.Dockerfile`) replaces the context's `.dockerignore` for that build.

use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The ignore rules of one build.
#[derive(Debug, Clone, Default)]
pub struct DockerIgnore {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    /// Cleaned, without its `!`.
    text: String,
    /// A `!` line: matching paths are included again.
    reinclude: bool,
    matcher: Matcher,
}

/// How a pattern is matched. Simple shapes are matched as plain strings, as docker does,
/// which gives `**` at either end its own meaning: `**foo` matches any path ending in
/// `foo`, and `dir/**` anything inside `dir`.
#[derive(Debug, Clone)]
enum Matcher {
    /// No wildcards: the path itself.
    Exact,
    /// `dir/**`: paths starting with `dir/`.
    Prefix(String),
    /// `**` then no more wildcards: paths ending with the rest; `**/name` also `name`.
    Suffix(String),
    Glob(Vec<Token>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Char(char),
    /// `*`: any run of characters but `/`.
    Star,
    /// `?`: one character but `/`.
    AnyChar,
    /// `**` (and its `/`) inside a pattern: nothing, or anything ending with `/`.
    AnyDirs,
    /// `**` at the end: anything.
    AnyRest,
    Class {
        negated: bool,
        items: Vec<(char, char)>,
    },
}

/// What a build would see of a context directory.
#[derive(Debug, Default, Serialize)]
pub struct ContextScan {
    pub included: Vec<String>,
    /// Excluded paths; an excluded directory is listed once, not its contents, unless a `!`
    /// rule could include something inside it.
    pub excluded: Vec<String>,
}

impl DockerIgnore {
    /// Reads an ignore file's text.
    pub fn parse(text: &str) -> Result<DockerIgnore> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut patterns = Vec::new();
        for line in text.lines() {
            // Only a `#` in the first column starts a comment; `  #x` is a pattern.
            if line.starts_with('#') {
                continue;
            }
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let (reinclude, body) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            if reinclude && body.is_empty() {
                bail!("illegal exclusion pattern: \"!\"");
            }
            let mut cleaned = clean_path(body);
            if cleaned.len() > 1 && cleaned.starts_with('/') {
                cleaned.remove(0);
            }
            let matcher = Matcher::compile(&cleaned)
                .with_context(|| format!("invalid .dockerignore pattern {line:?}"))?;
            patterns.push(Pattern {
                text: cleaned,
                reinclude,
                matcher,
            });
        }
        Ok(DockerIgnore { patterns })
    }

    /// The ignore file for a build: `<dockerfile>.dockerignore` beside the Dockerfile if it
    /// exists, else the context's `.dockerignore`, else none. `dockerfile` is None when the
    /// Dockerfile does not come from a file (`-f -`).
    pub fn for_build(
        context: &Path,
        dockerfile: Option<&Path>,
    ) -> Result<Option<(PathBuf, DockerIgnore)>> {
        let beside = dockerfile.and_then(|d| {
            d.file_name()
                .map(|name| d.with_file_name(format!("{}.dockerignore", name.to_string_lossy())))
        });
        for candidate in beside.into_iter().chain([context.join(".dockerignore")]) {
            match std::fs::read(&candidate) {
                Ok(bytes) => {
                    let ignore = DockerIgnore::parse(&String::from_utf8_lossy(&bytes))
                        .with_context(|| candidate.display().to_string())?;
                    return Ok(Some((candidate, ignore)));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot read {}", candidate.display()))
                }
            }
        }
        Ok(None)
    }

    /// The patterns as docker normalises them, `!` included.
    pub fn patterns(&self) -> Vec<String> {
        self.patterns
            .iter()
            .map(|p| format!("{}{}", if p.reinclude { "!" } else { "" }, p.text))
            .collect()
    }

    /// Whether a path of the context (relative, `/`-separated) is left out of the build.
    pub fn is_excluded(&self, path: &str) -> bool {
        let path = clean_path(path);
        let path = path.trim_start_matches('/');
        if path == "." || path.is_empty() {
            return false;
        }
        let parents: Vec<&str> = path.match_indices('/').map(|(at, _)| &path[..at]).collect();
        let mut excluded = false;
        for pattern in &self.patterns {
            // Only a rule that could change the answer is looked at.
            if pattern.reinclude != excluded {
                continue;
            }
            if pattern.matches(path) || parents.iter().any(|parent| pattern.matches(parent)) {
                excluded = !pattern.reinclude;
            }
        }
        excluded
    }

    /// Whether some `!` rule may bring back a path below an excluded directory.
    pub fn has_reincludes(&self) -> bool {
        self.patterns.iter().any(|p| p.reinclude)
    }

    /// Walks a context directory (without following symlinks) and sorts its paths into
    /// what a build sees and what it does not.
    pub fn scan(&self, context: &Path) -> Result<ContextScan> {
        let mut scan = ContextScan::default();
        self.scan_dir(context, "", &mut scan)?;
        Ok(scan)
    }

    fn scan_dir(&self, dir: &Path, prefix: &str, scan: &mut ContextScan) -> Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let is_dir = entry.file_type()?.is_dir();
            let excluded = self.is_excluded(&path);
            if excluded {
                scan.excluded.push(path.clone());
            } else {
                scan.included.push(path.clone());
            }
            // A `!` rule may bring back something inside an excluded directory.
            if is_dir && (!excluded || self.has_reincludes()) {
                self.scan_dir(&entry.path(), &format!("{path}/"), scan)?;
            }
        }
        Ok(())
    }
}

impl Pattern {
    fn matches(&self, path: &str) -> bool {
        match &self.matcher {
            Matcher::Exact => path == self.text,
            Matcher::Prefix(prefix) => path.starts_with(prefix.as_str()),
            Matcher::Suffix(suffix) => {
                path.ends_with(suffix.as_str()) || suffix.strip_prefix('/') == Some(path)
            }
            Matcher::Glob(tokens) => {
                let chars: Vec<char> = path.chars().collect();
                glob_match(tokens, &chars)
            }
        }
    }
}

impl Matcher {
    fn compile(pattern: &str) -> Result<Matcher> {
        #[derive(PartialEq)]
        enum Shape {
            Exact,
            Prefix,
            Suffix,
            Glob,
        }
        let mut shape = Shape::Exact;
        let mut tokens = Vec::new();
        let chars: Vec<char> = pattern.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let at_start = i == 0;
            let ch = chars[i];
            i += 1;
            match ch {
                '*' if chars.get(i) == Some(&'*') => {
                    i += 1;
                    if chars.get(i) == Some(&'/') {
                        i += 1;
                    }
                    if i == chars.len() {
                        if shape == Shape::Exact {
                            shape = Shape::Prefix;
                        } else {
                            tokens.push(Token::AnyRest);
                            shape = Shape::Glob;
                        }
                    } else {
                        tokens.push(Token::AnyDirs);
                        shape = Shape::Glob;
                    }
                    if at_start {
                        shape = Shape::Suffix;
                    }
                }
                '*' => {
                    tokens.push(Token::Star);
                    shape = Shape::Glob;
                }
                '?' => {
                    tokens.push(Token::AnyChar);
                    shape = Shape::Glob;
                }
                '\\' => match chars.get(i) {
                    Some(&next) => {
                        i += 1;
                        tokens.push(Token::Char(next));
                        shape = Shape::Glob;
                    }
                    None => bail!("syntax error in pattern: trailing backslash"),
                },
                '[' => {
                    let (class, used) = parse_class(&chars[i..])?;
                    i += used;
                    tokens.push(class);
                    shape = Shape::Glob;
                }
                c => tokens.push(Token::Char(c)),
            }
        }
        Ok(match shape {
            Shape::Exact => Matcher::Exact,
            Shape::Prefix => Matcher::Prefix(pattern[..pattern.len() - 2].to_string()),
            Shape::Suffix => Matcher::Suffix(pattern[2..].to_string()),
            Shape::Glob => Matcher::Glob(tokens),
        })
    }
}

/// `[...]` after its `[`: an optional `^` negates; then characters, `a-z` ranges and `\x`
/// escapes up to the closing `]`. Returns the class and how many characters it used.
fn parse_class(chars: &[char]) -> Result<(Token, usize)> {
    let mut i = 0;
    let negated = chars.first() == Some(&'^');
    if negated {
        i += 1;
    }
    let mut items = Vec::new();
    let read_char = |i: &mut usize| -> Result<char> {
        let c = *chars
            .get(*i)
            .context("syntax error in pattern: unterminated [")?;
        *i += 1;
        if c != '\\' {
            return Ok(c);
        }
        let escaped = *chars
            .get(*i)
            .context("syntax error in pattern: unterminated [")?;
        *i += 1;
        Ok(escaped)
    };
    loop {
        match chars.get(i) {
            None => bail!("syntax error in pattern: unterminated ["),
            Some(']') if !items.is_empty() => return Ok((Token::Class { negated, items }, i + 1)),
            Some(']' | '-') => bail!("syntax error in pattern: bad character class"),
            Some(_) => {
                let low = read_char(&mut i)?;
                let mut high = low;
                if chars.get(i) == Some(&'-') && chars.get(i + 1) != Some(&']') {
                    i += 1;
                    high = read_char(&mut i)?;
                    if high < low {
                        bail!("syntax error in pattern: bad range {low}-{high}");
                    }
                }
                items.push((low, high));
            }
        }
    }
}

/// Whether `tokens` match all of `path`. Worked out from the pattern's end backwards, one row
/// per token of whether the rest of the pattern matches the rest of the path from each
/// position, so the time is the pattern's length times the path's: trying every split for
/// each wildcard instead takes exponential time on patterns like `*a*a*a*a*b` or long runs of
/// `*`, which a hostile build context's `.dockerignore` can hold.
fn glob_match(tokens: &[Token], path: &[char]) -> bool {
    // rest[p]: the tokens after the current one match path[p..].
    let mut rest: Vec<bool> = (0..=path.len()).map(|p| p == path.len()).collect();
    let mut row = vec![false; path.len() + 1];
    for token in tokens.iter().rev() {
        // For `**`: some `/` at or after p ends directories that the rest then matches after.
        let mut dirs_then_rest = false;
        for p in (0..=path.len()).rev() {
            let c = path.get(p);
            let then_rest = |ok: bool| ok && rest[p + 1];
            row[p] = match token {
                Token::Char(want) => then_rest(c == Some(want)),
                Token::AnyChar => then_rest(c.is_some_and(|c| *c != '/')),
                Token::Class { negated, items } => then_rest(c.is_some_and(|c| {
                    items.iter().any(|(lo, hi)| (lo..=hi).contains(&c)) != *negated
                })),
                Token::Star => rest[p] || (c.is_some_and(|c| *c != '/') && row[p + 1]),
                Token::AnyRest => rest[p] || (c.is_some() && row[p + 1]),
                Token::AnyDirs => {
                    dirs_then_rest |= then_rest(c == Some(&'/'));
                    rest[p] || dirs_then_rest
                }
            };
        }
        std::mem::swap(&mut rest, &mut row);
    }
    rest[0]
}

/// A `/`-separated path made canonical the way Go's `path.Clean` does it: no empty or `.`
/// components, `..` resolved where possible, no trailing slash, and `.` for nothing.
fn clean_path(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            ".." if rooted => {}
            part => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignore(text: &str) -> DockerIgnore {
        DockerIgnore::parse(text).unwrap()
    }

    fn check(rules: &str, excluded: &[&str], included: &[&str]) {
        let ignore = ignore(rules);
        for path in excluded {
            assert!(ignore.is_excluded(path), "{rules:?} should exclude {path}");
        }
        for path in included {
            assert!(!ignore.is_excluded(path), "{rules:?} should include {path}");
        }
    }

    /// The example of docker's documentation.
    #[test]
    fn documentation_example() {
        let rules = "# comment\n*/temp*\n*/*/temp*\ntemp?\n";
        check(
            rules,
            &[
                "somedir/temporary.txt",
                "somedir/temp",
                "somedir/temp/inside",
                "somedir/subdir/temporary.txt",
                "tempa",
                "tempb",
            ],
            &[
                "temporary.txt",
                "a/b/c/temp",
                "tempab",
                "comment",
                "# comment",
            ],
        );
    }

    #[test]
    fn double_star_matches_any_depth() {
        check(
            "**/*.go",
            &["main.go", "cmd/main.go", "a/b/c/x.go"],
            &["main.go.txt", "go"],
        );
        check(
            "a/**/b",
            &["a/b", "a/x/b", "a/x/y/b", "a/x/b/c"],
            &["b", "xa/b"],
        );
        check("dir/**", &["dir/x", "dir/x/y"], &["dir", "dirx/y"]);
        check("**", &["anything", "a/b"], &[]);
        check("**/name", &["name", "a/name", "a/b/name"], &["a/xname"]);
    }

    #[test]
    fn exceptions_and_order() {
        // The documentation's three examples of `!`.
        check(
            "*.md\n!README.md\n",
            &["CHANGES.md"],
            &["README.md", "docs/x.md"],
        );
        check(
            "*.md\n!README*.md\nREADME-secret.md\n",
            &["CHANGES.md", "README-secret.md"],
            &["README.md", "README-public.md"],
        );
        check(
            "*.md\nREADME-secret.md\n!README*.md\n",
            &["CHANGES.md"],
            &["README.md", "README-secret.md"],
        );
        // An excluded directory takes its contents along unless a rule brings them back.
        check(
            "build\n!build/keep\n",
            &["build", "build/tmp", "build/tmp/x"],
            &["build/keep", "build/keep/x"],
        );
    }

    #[test]
    fn leading_slash_and_dot_mean_the_context() {
        check(
            "/secret\n./logs/\n",
            &["secret", "secret/key", "logs", "logs/today"],
            &["a/secret", "a/logs"],
        );
        assert_eq!(
            ignore("/a/../b/./c/\n!/x\n\tpadded  \n  #not-a-comment\n").patterns(),
            ["b/c", "!x", "padded", "#not-a-comment"]
        );
    }

    #[test]
    fn single_character_wildcards_and_classes() {
        check(
            "file?.txt\n",
            &["file1.txt", "filea.txt"],
            &["file.txt", "file10.txt", "file/.txt"],
        );
        check(
            "[a-c]*.log\n",
            &["a.log", "b1.log", "c.log"],
            &["d.log", "x/a.log"],
        );
        check("[^a-c]*.log\n", &["d.log", "z.log"], &["a.log"]);
        check("a\\*b\n", &["a*b"], &["axb"]);
        check("*\n", &["x", "dir/x"], &[]);
    }

    #[test]
    fn bad_patterns() {
        assert!(DockerIgnore::parse("!\n").is_err());
        assert!(DockerIgnore::parse("[abc\n").is_err());
        assert!(DockerIgnore::parse("a\\\n").is_err());
        assert!(DockerIgnore::parse("[]\n").is_err());
    }

    #[test]
    fn wildcards_do_not_backtrack() {
        // Found by fuzzing: trying every split of the path for each wildcard, these took from
        // a second to far more than a minute.
        let stars = format!("{}/**.", "*".repeat(250));
        check(&stars, &[], &["y*/*.[/*.[.c/p/", &"a/".repeat(40)]);
        let alternating = format!("{}b", "*a".repeat(40));
        check(
            &alternating,
            &[&format!("{}b", "a".repeat(60))],
            &[&"a".repeat(60)],
        );
    }

    #[test]
    fn the_context_itself_is_never_excluded() {
        check("*\n.\n", &["x"], &[".", ""]);
    }

    #[test]
    fn path_cleaning() {
        for (path, clean) in [
            ("", "."),
            ("a//b/", "a/b"),
            ("./a/./b", "a/b"),
            ("a/../..", ".."),
            ("/../a", "/a"),
            ("a/b/../c", "a/c"),
            ("/", "/"),
        ] {
            assert_eq!(clean_path(path), clean, "{path:?}");
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("skiff-dockerignore-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn dockerfile_specific_ignore_file_wins() {
        let dir = temp_dir("which");
        std::fs::write(dir.join(".dockerignore"), "from-context\n").unwrap();
        std::fs::create_dir(dir.join("build")).unwrap();
        let dockerfile = dir.join("build/app.Dockerfile");
        let (file, rules) = DockerIgnore::for_build(&dir, Some(&dockerfile))
            .unwrap()
            .unwrap();
        assert_eq!(
            (file, rules.patterns()),
            (dir.join(".dockerignore"), vec!["from-context".to_string()])
        );
        std::fs::write(dir.join("build/app.Dockerfile.dockerignore"), "beside\n").unwrap();
        let (file, rules) = DockerIgnore::for_build(&dir, Some(&dockerfile))
            .unwrap()
            .unwrap();
        assert_eq!(
            (file, rules.patterns()),
            (
                dir.join("build/app.Dockerfile.dockerignore"),
                vec!["beside".to_string()]
            )
        );
        // From stdin there is no Dockerfile to stand beside.
        assert_eq!(
            DockerIgnore::for_build(&dir, None).unwrap().unwrap().0,
            dir.join(".dockerignore")
        );
        std::fs::remove_file(dir.join(".dockerignore")).unwrap();
        assert!(DockerIgnore::for_build(&dir, None).unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn scanning_a_context() {
        let dir = temp_dir("scan");
        for file in [
            "Dockerfile",
            "src/main.rs",
            "target/debug/app",
            "notes.md",
            "README.md",
        ] {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        let scan = ignore("target\n*.md\n!README.md\n").scan(&dir).unwrap();
        assert_eq!(
            scan.included,
            ["Dockerfile", "README.md", "src", "src/main.rs"]
        );
        assert_eq!(
            scan.excluded,
            ["notes.md", "target", "target/debug", "target/debug/app"]
        );
        let scan = ignore("target\n").scan(&dir).unwrap();
        assert_eq!(scan.excluded, ["target"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
