//! Entry points for the fuzz targets in `fuzz/`: each takes arbitrary bytes and hands them
//! to a parser that reads input skiff does not control. A target must never panic, hang or
//! exhaust memory; where a parser has a property that always holds (a record replays the
//! stream it recorded), the target checks it too.

use crate::build::dockerignore::DockerIgnore;
use crate::build::shell::{EnvList, Lexer};
use crate::build::{instructions, parser};
use crate::cli::format::{self, Format};
use crate::image::config::ImageConfig;
use crate::image::reference::Reference;
use crate::image::tarsplit;
use crate::net::names;
use crate::registry::manifest::{self, Manifest, Platform};
use std::collections::VecDeque;
use std::io::Read;
use std::net::Ipv4Addr;

/// A Dockerfile, read and grouped into stages, then expanded as a build would expand it.
pub fn dockerfile(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(file) = parser::parse(&text) else {
        return;
    };
    let Ok(stages) = instructions::stages(&file) else {
        return;
    };
    let _ = stages.expanded(&crate::build::platform_args(), &sample_env());
}

/// One word through the builder's lexer; the first byte picks the escape character and the
/// lexer's modes, as the parser and heredoc expansion set them.
pub fn shell_word(data: &[u8]) {
    let Some((&mode, word)) = data.split_first() else {
        return;
    };
    let Ok(word) = std::str::from_utf8(word) else {
        return;
    };
    let lexer = Lexer {
        keep_quotes: mode & 2 != 0,
        keep_escapes: mode & 4 != 0,
        literal_quotes: mode & 8 != 0,
        keep_unset: mode & 16 != 0,
        ..Lexer::new(if mode & 1 == 0 { '\\' } else { '`' })
    };
    let env = sample_env();
    let _ = lexer.expand(word, &env);
    let _ = lexer.split(word, &env);
}

/// Variables to expand, some of them empty or with characters the lexer treats specially.
fn sample_env() -> EnvList {
    let mut env = EnvList::new();
    for (name, value) in [
        ("A", "a b"),
        ("EMPTY", ""),
        ("Q", "'\"$\\`"),
        ("P", "/x/y.z"),
    ] {
        env.set(name, value);
    }
    env
}

/// A `.dockerignore`, then the paths after its first NUL byte (one a line) checked against it.
pub fn dockerignore(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (patterns, paths) = text.split_once('\0').unwrap_or((&text, ""));
    let Ok(ignore) = DockerIgnore::parse(patterns) else {
        return;
    };
    for path in paths.lines() {
        ignore.is_excluded(path);
    }
}

/// An image reference; one that parses must read back the same from its full spelling.
pub fn reference(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(reference) = Reference::parse(text) else {
        return;
    };
    let full = reference.to_string();
    let again = Reference::parse(&full).unwrap_or_else(|e| panic!("{full:?}: {e}"));
    assert_eq!(again, reference, "{text:?} reads back differently");
    let _ = Reference::parse(&reference.familiar());
}

/// A registry's manifest; the first byte picks the content type the registry gave. An index
/// is asked for the host's platform, as a pull does.
pub fn manifest(data: &[u8]) {
    let Some((&kind, bytes)) = data.split_first() else {
        return;
    };
    let content_type = [
        manifest::DOCKER_MANIFEST,
        manifest::DOCKER_LIST,
        manifest::OCI_MANIFEST,
        manifest::OCI_INDEX,
        "",
    ][usize::from(kind) % 5];
    if let Ok(Manifest::Index(index)) = Manifest::parse(bytes, content_type) {
        let _ = index.choose(&Platform::host());
    }
}

/// An image config; skiff writes configs back, so what it wrote must read again.
pub fn image_config(data: &[u8]) {
    let Ok(config) = ImageConfig::parse(data) else {
        return;
    };
    let written = serde_json::to_vec(&config).expect("an image config serializes");
    if let Err(e) = ImageConfig::parse(&written) {
        panic!("a written config does not read back: {e}");
    }
}

/// A layer's tar stream recorded as extraction records it, and the record replayed with the
/// files' contents: the replay must give back the stream byte for byte. Streams the tar
/// reader refuses are not recorded (extraction fails on them).
pub fn tar_split(data: &[u8]) {
    let Some((record, mut contents)) = record_contents(data) else {
        return;
    };
    let mut replayed = Vec::new();
    tarsplit::replay(&record, &mut replayed, |_, size, out| {
        let content = contents.pop_front().expect("a file for every file record");
        assert_eq!(content.len() as u64, size, "the record's file size");
        out.extend_from_slice(&content);
        Ok(())
    })
    .expect("a recorded stream replays");
    assert!(contents.is_empty(), "files left over after the replay");
    assert!(replayed == data, "the replayed stream differs");
}

/// The decoded record of a tar stream and the contents of its files in order.
fn record_contents(data: &[u8]) -> Option<(Vec<u8>, VecDeque<Vec<u8>>)> {
    let (recorder, handle) = tarsplit::recorder(data);
    let mut archive = tar::Archive::new(recorder);
    let mut contents = VecDeque::new();
    for entry in archive.entries().ok()? {
        let mut entry = entry.ok()?;
        let regular = matches!(
            entry.header().entry_type(),
            tar::EntryType::Regular | tar::EntryType::Continuous
        );
        if regular && entry.size() > 0 {
            handle.file(entry.raw_file_position(), entry.size(), &entry.path_bytes());
            let mut content = Vec::new();
            entry.read_to_end(&mut content).ok()?;
            contents.push_back(content);
        }
    }
    let mut rest = archive.into_inner();
    std::io::copy(&mut rest, &mut std::io::sink()).ok()?;
    let compressed = handle.finish().ok()??;
    let record = zstd::stream::decode_all(&compressed[..]).expect("a record decompresses");
    Some((record, contents))
}

/// A datagram to a network's DNS server. A query it answers must be answered with the same
/// question, since resolvers (and skiff's own relay) match replies by their question.
pub fn dns(data: &[u8]) {
    let asked = names::question(data);
    let reply = names::answer(data, &[Ipv4Addr::new(10, 89, 0, 2); 20], 0);
    assert_eq!(
        asked.is_some(),
        reply.is_some(),
        "answered iff it is a query"
    );
    let Some(mut reply) = reply else {
        return;
    };
    // Read back as a query: without the response flag, keeping opcode 0.
    reply[2] &= 0x07;
    assert_eq!(names::question(&reply), asked, "the reply's question");
}

/// A `--format` value, used for a list (as `ps` and `images` use it) and for `inspect`. A
/// template runs as long as it asks to: nested `range`s, `template` calls and large counts
/// multiply (Go's templates do the same, docker's too), so such templates are only parsed.
pub fn format(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = Format::parse(Some(text));
    if !runs_briefly(text) {
        return;
    }
    let item = serde_json::json!({
        "ID": "0123456789ab",
        "Names": ["web", "db"],
        "Labels": {"a": "1", "b": ""},
        "Size": 1024,
        "Ratio": 0.5,
        "Running": true,
        "Nothing": null,
    });
    let columns = [
        ("CONTAINER ID", "{{.ID}}"),
        ("NAMES", "{{join .Names \",\"}}"),
    ];
    let mut out = Vec::new();
    if let Ok(format) = parsed {
        let _ = format::print_list(
            &mut out,
            &format,
            "*formatter.ContainerContext",
            &columns,
            std::slice::from_ref(&item),
        );
    }
    let _ = format::print_objects(&mut out, Some(text), &[item]);
}

/// At most one loop, no template calls, and no number longer than two characters: the work
/// of such a template is bounded by its length.
fn runs_briefly(text: &str) -> bool {
    let long_number = text
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .any(|word| word.starts_with(|c: char| c.is_ascii_digit()) && word.len() > 2);
    text.matches("range").count() <= 1
        && !text.contains("template")
        && !text.contains("block")
        && !long_number
}
