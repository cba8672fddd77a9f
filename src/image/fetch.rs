//! Downloads for `import URL` and a build's `ADD URL`: a plain HTTP/1.1 GET that follows
//! redirects and reads fixed-length, chunked or until-close bodies. https needs TLS, which
//! arrives with the registry client; until then such URLs are refused with a clear error.

use anyhow::{anyhow, bail, Context, Result};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const MAX_REDIRECTS: usize = 10;

/// Whether `text` names something to download rather than a local path.
pub fn is_url(text: &str) -> bool {
    text.starts_with("http://") || text.starts_with("https://")
}

/// A response body being read.
pub struct Download {
    pub body: Box<dyn Read + Send>,
    /// The URL after redirects: its last path component names the file.
    pub url: String,
}

/// GETs `url`, following redirects; fails unless the final answer is 200.
pub fn get(url: &str) -> Result<Download> {
    let mut current = url.to_string();
    for _ in 0..=MAX_REDIRECTS {
        let (status, headers, reader) = request(&current)?;
        if (300..400).contains(&status) {
            let location = header(&headers, "location")
                .ok_or_else(|| anyhow!("{current}: redirect without a location"))?;
            current = resolve_location(&current, location);
            continue;
        }
        if status != 200 {
            bail!("cannot download {current}: the server answered {status}");
        }
        let body: Box<dyn Read + Send> = if header(&headers, "transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
        {
            Box::new(Chunked {
                inner: reader,
                left: 0,
                done: false,
            })
        } else if let Some(length) = header(&headers, "content-length") {
            let length: u64 = length
                .trim()
                .parse()
                .with_context(|| format!("{current}: invalid content length"))?;
            Box::new(Exact {
                inner: reader.take(length),
                left: length,
            })
        } else {
            Box::new(reader)
        };
        return Ok(Download { body, url: current });
    }
    bail!("cannot download {url}: too many redirects")
}

/// The file name a download gets: the URL's last path component.
pub fn file_name(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let path = path.split_once("://").map_or(path, |(_, rest)| rest);
    let name = path
        .split_once('/')
        .map_or("", |(_, rest)| rest)
        .rsplit('/')
        .next()
        .unwrap_or("");
    if name.is_empty() {
        "__unnamed__".to_string()
    } else {
        name.to_string()
    }
}

type Headers = Vec<(String, String)>;

fn header<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn resolve_location(base: &str, location: &str) -> String {
    if is_url(location) {
        return location.to_string();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    let host = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{host}/{}", location.trim_start_matches('/'))
}

fn request(url: &str) -> Result<(u16, Headers, BufReader<TcpStream>)> {
    let Some(rest) = url.strip_prefix("http://") else {
        if url.starts_with("https://") {
            bail!("cannot download {url}: https is not supported yet, use an http:// URL");
        }
        bail!("cannot download {url}: only http:// URLs are supported");
    };
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    };
    let address = if authority.contains(':') && !authority.ends_with(']') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let stream =
        TcpStream::connect(&address).with_context(|| format!("cannot connect to {address}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut writer = stream.try_clone()?;
    // In one write: a server that answers after its first read must have seen it all.
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: skiff\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    writer.write_all(request.as_bytes())?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("{url}: not an HTTP answer: {status_line:?}"))?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    Ok((status, headers, reader))
}

/// A body of known length: ending early is an error, not a short file.
struct Exact<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.left > 0 && !buf.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the download ended early",
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

struct Chunked<R> {
    inner: R,
    left: u64,
    done: bool,
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let mut line = String::new();
            self.inner.read_line(&mut line)?;
            if line.trim().is_empty() {
                // The CRLF that ends the previous chunk.
                line.clear();
                self.inner.read_line(&mut line)?;
            }
            let size = line.trim().split(';').next().unwrap_or("");
            self.left = u64::from_str_radix(size, 16).map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, "bad chunk size")
            })?;
            if self.left == 0 {
                self.done = true;
                return Ok(0);
            }
        }
        let want = buf.len().min(self.left as usize);
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_locations() {
        assert_eq!(file_name("http://h:1/a/b.tar.gz?x=1"), "b.tar.gz");
        assert_eq!(file_name("http://h/"), "__unnamed__");
        assert_eq!(resolve_location("http://h:8/a/b", "/c"), "http://h:8/c");
        assert_eq!(resolve_location("http://h/a", "http://o/x"), "http://o/x");
    }

    /// Reads a request up to the blank line that ends its headers.
    fn read_request(conn: &mut impl Read) {
        let mut seen = Vec::new();
        let mut byte = [0u8; 1];
        while !seen.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap() == 1 {
            seen.push(byte[0]);
        }
    }

    #[test]
    fn serves_fixed_and_chunked_bodies() {
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = server.local_addr().unwrap().port();
        let handle = std::thread::spawn(move || {
            for answer in [
                "HTTP/1.1 302 Found\r\nLocation: /two\r\n\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            ] {
                let (mut conn, _) = server.accept().unwrap();
                read_request(&mut conn);
                conn.write_all(answer.as_bytes()).unwrap();
            }
        });
        let mut download = get(&format!("http://127.0.0.1:{port}/one")).unwrap();
        let mut body = String::new();
        download.body.read_to_string(&mut body).unwrap();
        assert_eq!(body, "abcde");
        assert!(download.url.ends_with("/two"));
        handle.join().unwrap();
    }
}
