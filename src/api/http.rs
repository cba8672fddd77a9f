//! HTTP/1.1 as the Engine API's clients speak it: bounded request heads and bodies, plain and
//! chunked responses on a kept-alive connection, and raw streams that flush at once.

use anyhow::{bail, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

/// The most a request head (request line and headers) may take.
const MAX_HEAD: usize = 64 * 1024;
/// The most a JSON request body may take: bodies are small objects, never archives.
pub const MAX_JSON_BODY: u64 = 4 * 1024 * 1024;
const MAX_HEADERS: usize = 100;

pub struct Request {
    pub method: String,
    /// The path without its query, percent-decoded.
    pub path: String,
    /// The query's parameters in their order; a name may come more than once (`t=a&t=b`).
    pub query: Vec<(String, String)>,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    /// The body of an upload (a build context, an archive): on disk, not in memory.
    pub upload: Option<Upload>,
}

/// An uploaded body's file, removed when the request is done with.
pub struct Upload {
    pub path: PathBuf,
}

impl Drop for Upload {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Request {
    /// The body as JSON; an empty body is an empty object, as docker takes it.
    pub fn json_body(&self) -> Result<Value> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_slice(&self.body).map_err(|e| anyhow::anyhow!("invalid JSON body: {e}"))
    }

    /// One query parameter (its last value), or "" when absent.
    pub fn param(&self, name: &str) -> &str {
        self.params(name).last().copied().unwrap_or_default()
    }

    /// Every value of a query parameter, in order.
    pub fn params(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A boolean query parameter as docker reads them: `1`, `true` (any case) are true.
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.param(name).to_ascii_lowercase().as_str(), "1" | "true")
    }

    /// A query parameter holding JSON (docker's `filters`), Null when absent.
    pub fn json_param(&self, name: &str) -> Result<Value> {
        match self.param(name) {
            "" => Ok(Value::Null),
            text => serde_json::from_str(text)
                .map_err(|e| anyhow::anyhow!("invalid {name} parameter: {e}")),
        }
    }

    /// Whether the client wants the connection kept open after this exchange.
    fn keep_alive(&self) -> bool {
        !self
            .headers
            .get("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// A request line and its headers (names in lower case), the body not read yet.
pub struct Head {
    pub method: String,
    /// The path without its query, percent-decoded.
    pub path: String,
    query: Vec<(String, String)>,
    headers: BTreeMap<String, String>,
}

/// Reads the next request's head; None when the client closed the connection between
/// requests.
pub fn read_head(reader: &mut BufReader<impl Read>) -> Result<Option<Head>> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let read = reader
            .by_ref()
            .take((MAX_HEAD - before) as u64 + 1)
            .read_until(b'\n', &mut head)?;
        if read == 0 {
            if head.is_empty() {
                return Ok(None);
            }
            bail!("connection closed in the middle of a request");
        }
        if head.len() > MAX_HEAD {
            bail!("request head larger than {MAX_HEAD} bytes");
        }
        if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") {
            break;
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    if !parsed.parse(&head)?.is_complete() {
        bail!("incomplete request head");
    }
    let target = parsed.path.unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Ok(Some(Head {
        method: parsed.method.unwrap_or_default().to_string(),
        path: decode(path),
        query: parse_query(query),
        headers: parsed
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_ascii_lowercase(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect(),
    }))
}

/// Reads the body after `head`: into memory (bounded: a JSON object), or, for an upload,
/// into a new file at `upload_to`. Read whether or not the endpoint wants it, so that the
/// next request on the connection starts where it should.
pub fn read_body(
    reader: &mut BufReader<impl Read>,
    head: Head,
    upload_to: Option<PathBuf>,
) -> Result<Request> {
    let mut body = Vec::new();
    let upload = match upload_to {
        None => {
            copy_body(reader, &head.headers, &mut body, Some(MAX_JSON_BODY))?;
            None
        }
        Some(path) => {
            let upload = Upload { path };
            let mut file = std::io::BufWriter::new(
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&upload.path)?,
            );
            copy_body(reader, &head.headers, &mut file, None)?;
            file.flush()?;
            Some(upload)
        }
    };
    Ok(Request {
        method: head.method,
        path: head.path,
        query: head.query,
        headers: head.headers,
        body,
        upload,
    })
}

/// Copies a plain or chunked body to `out`, failing past `limit` bytes.
fn copy_body(
    reader: &mut BufReader<impl Read>,
    headers: &BTreeMap<String, String>,
    out: &mut impl Write,
    limit: Option<u64>,
) -> Result<()> {
    let mut copied: u64 = 0;
    let mut check = |more: u64| {
        copied += more;
        match limit {
            Some(limit) if copied > limit => bail!("request body larger than {limit} bytes"),
            _ => Ok(()),
        }
    };
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size_line = String::new();
            reader.by_ref().take(1024).read_line(&mut size_line)?;
            let size_text = size_line.trim().split(';').next().unwrap_or_default();
            let size = u64::from_str_radix(size_text, 16)
                .map_err(|_| anyhow::anyhow!("bad chunk size {size_text:?}"))?;
            check(size)?;
            if size == 0 {
                // The trailer section ends with an empty line.
                let mut line = String::new();
                while reader.by_ref().take(1024).read_line(&mut line)? > 2 {
                    line.clear();
                }
                return Ok(());
            }
            if std::io::copy(&mut reader.by_ref().take(size), out)? < size {
                bail!("connection closed in the middle of a request body");
            }
            let mut crlf = [0u8; 2];
            reader.read_exact(&mut crlf)?;
        }
    }
    let length: u64 = match headers.get("content-length") {
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("bad Content-Length {v:?}"))?,
        None => 0,
    };
    check(length)?;
    if std::io::copy(&mut reader.by_ref().take(length), out)? < length {
        bail!("connection closed in the middle of a request body");
    }
    Ok(())
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(&k.replace('+', " ")), decode(&v.replace('+', " ")))
        })
        .collect()
}

/// The writing side of one connection, for one response at a time.
pub struct Responder<W: Write> {
    out: W,
    head_only: bool,
    keep_alive: bool,
}

impl<W: Write> Responder<W> {
    pub fn new(out: W, request: &Request) -> Responder<W> {
        Responder {
            out,
            head_only: request.method == "HEAD",
            keep_alive: request.keep_alive(),
        }
    }

    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    fn head(&mut self, status: u16, headers: &[(&str, &str)], framing: &str) -> Result<()> {
        let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
        head.push_str("Server: skiff\r\nApi-Version: ");
        head.push_str(super::API_VERSION);
        head.push_str("\r\nOstype: linux\r\nDocker-Experimental: false\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(framing);
        if !self.keep_alive {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        self.out.write_all(head.as_bytes())?;
        Ok(())
    }

    /// A complete response with a body of known length.
    pub fn send(&mut self, status: u16, headers: &[(&str, &str)], body: &[u8]) -> Result<()> {
        // 204 and 304 carry no body, and say nothing of its length.
        let framing = if matches!(status, 204 | 304) {
            String::new()
        } else {
            format!("Content-Length: {}\r\n", body.len())
        };
        self.head(status, headers, &framing)?;
        if !self.head_only && !matches!(status, 204 | 304) {
            self.out.write_all(body)?;
        }
        self.out.flush()?;
        Ok(())
    }

    pub fn json(&mut self, status: u16, value: &Value) -> Result<()> {
        self.send(
            status,
            &[("Content-Type", "application/json")],
            &serde_json::to_vec(value)?,
        )
    }

    /// Hands the connection over to a raw stream (attach): `101` to a client that asked to
    /// upgrade, else a `200` whose body lasts until the connection closes.
    pub fn hijack(mut self, upgrade: bool, content_type: &str) -> Result<()> {
        if upgrade {
            let head = format!(
                "HTTP/1.1 101 UPGRADED\r\nContent-Type: {content_type}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
            );
            self.out.write_all(head.as_bytes())?;
        } else {
            self.keep_alive = false;
            self.head(200, &[("Content-Type", content_type)], "")?;
        }
        self.out.flush()?;
        Ok(())
    }

    /// Starts a chunked response and flushes its head at once, so the client knows the request
    /// was taken before the body has anything to say.
    pub fn stream(mut self, status: u16, headers: &[(&str, &str)]) -> Result<Stream<W>> {
        self.head(status, headers, "Transfer-Encoding: chunked\r\n")?;
        self.out.flush()?;
        Ok(Stream { out: self.out })
    }
}

/// Where a streaming handler writes its body, chunk by chunk.
pub trait Sink {
    fn write(&mut self, data: &[u8]) -> Result<()>;

    /// Whether the client has hung up, for streams that may long have nothing to write.
    fn client_gone(&self) -> bool;

    /// One JSON value and a newline, as docker's progress and event streams carry them.
    fn json_line(&mut self, value: &Value) -> Result<()> {
        let mut line = serde_json::to_vec(value)?;
        line.push(b'\n');
        self.write(&line)
    }
}

/// A response body sent in chunks as it is made; `finish` ends it so the connection can
/// carry the next request.
pub struct Stream<W: Write> {
    out: W,
}

impl<W: Write + AsFd> Sink for Stream<W> {
    fn client_gone(&self) -> bool {
        // libc's poll: nix knows no POLLRDHUP (the peer shut its side down), and drops the
        // revents it cannot name.
        let mut fd = libc::pollfd {
            fd: self.out.as_fd().as_raw_fd(),
            events: libc::POLLRDHUP,
            revents: 0,
        };
        match unsafe { libc::poll(&mut fd, 1, 0) } {
            0 => false,
            n if n > 0 => fd.revents & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0,
            _ => true,
        }
    }

    fn write(&mut self, data: &[u8]) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        write!(self.out, "{:x}\r\n", data.len())?;
        self.out.write_all(data)?;
        self.out.write_all(b"\r\n")?;
        self.out.flush()?;
        Ok(())
    }
}

impl<W: Write> Stream<W> {
    pub fn finish(mut self) -> Result<()> {
        self.out.write_all(b"0\r\n\r\n")?;
        self.out.flush()?;
        Ok(())
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        304 => "Not Modified",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Payload Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &[u8]) -> Result<Option<Request>> {
        let mut reader = BufReader::new(raw);
        let Some(head) = read_head(&mut reader)? else {
            return Ok(None);
        };
        read_body(&mut reader, head, None).map(Some)
    }

    fn body(raw: &[u8]) -> Vec<u8> {
        parse(raw).unwrap().unwrap().body
    }

    #[test]
    fn reads_path_query_and_body() {
        let raw = b"POST /v1.44/containers/json?all=1&filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
        let r = parse(raw).unwrap().unwrap();
        assert_eq!(r.path, "/v1.44/containers/json");
        assert!(r.flag("all"));
        assert_eq!(r.param("filters"), r#"{"label":["a=b"]}"#);
        assert_eq!(body(raw), b"{}");
    }

    #[test]
    fn keeps_every_value_of_a_parameter() {
        let r = parse(b"POST /build?t=a%3A1&t=b&q=1 HTTP/1.1\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(r.params("t"), ["a:1", "b"]);
        assert_eq!(r.param("t"), "b");
    }

    #[test]
    fn an_upload_goes_to_its_file_and_leaves_with_the_request() {
        let path = std::env::temp_dir().join(format!("skiff-upload-test-{}", std::process::id()));
        let raw = b"POST /build HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let mut reader = BufReader::new(&raw[..]);
        let head = read_head(&mut reader).unwrap().unwrap();
        let request = read_body(&mut reader, head, Some(path.clone())).unwrap();
        assert!(request.body.is_empty());
        assert_eq!(std::fs::read(&path).unwrap(), b"abcde");
        drop(request);
        assert!(!path.exists());
    }

    #[test]
    fn reads_chunked_body() {
        let raw = b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
        assert_eq!(body(raw), b"{}");
    }

    #[test]
    fn refuses_oversized_heads_and_bodies() {
        let mut huge = b"GET / HTTP/1.1\r\nX: ".to_vec();
        huge.extend(std::iter::repeat_n(b'a', MAX_HEAD));
        huge.extend(b"\r\n\r\n");
        assert!(parse(&huge).is_err());
        let big = format!(
            "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_JSON_BODY + 1
        );
        assert!(parse(big.as_bytes()).is_err());
    }

    #[test]
    fn a_closed_connection_is_no_request() {
        assert!(parse(b"").unwrap().is_none());
    }
}
