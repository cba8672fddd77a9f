//! `POST /build`: docker's classic builder over the API. The context tarball arrives as an
//! upload (on disk), and `skiff build -` builds it in a child skiff, the same build the CLI
//! runs; its output lines become the stream's `{"stream": ...}` messages, the image's id an
//! `{"aux": {"ID": ...}}`, and a failure the stream's error.

use super::error::{in_stream, ApiError, ApiResult};
use super::http::{Request, Sink};
use super::{Context, Reply};
use serde_json::{json, Map, Value};
use std::io::{BufRead, BufReader};
use std::process::Stdio;

/// `POST /build`, with docker's query parameters.
pub fn build<'a>(context: &'a Context, request: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    if request.param("version") == "2" {
        return Err(ApiError::bad_request(
            "BuildKit builds are not served: skiff answers the classic builder (version 1)",
        ));
    }
    let mut args = build_args(request)?;
    let iidfile = context.store.tmp_path("iid");
    args.extend(["--iidfile".to_string(), iidfile.display().to_string()]);
    let remote = request.param("remote");
    let input = match (remote.is_empty(), &request.upload) {
        (false, _) => {
            args.push(remote.to_string());
            Stdio::null()
        }
        (true, Some(upload)) => {
            args.push("-".to_string());
            std::fs::File::open(&upload.path)
                .map_err(anyhow::Error::from)?
                .into()
        }
        (true, None) => return Err(ApiError::bad_request("no build context was sent")),
    };
    let (reader, writer) = std::io::pipe().map_err(anyhow::Error::from)?;
    let mut command = context.skiff_command(&["build"]);
    command
        .args(&args)
        .stdin(input)
        .stdout(writer.try_clone().map_err(anyhow::Error::from)?)
        .stderr(writer);
    let mut child = command.spawn().map_err(anyhow::Error::from)?;
    // The pipe's writing ends are the child's alone now: its end is the output's.
    drop(command);
    Ok(Reply::Stream {
        content_type: "application/json",
        headers: Vec::new(),
        body: Box::new(move |sink: &mut dyn Sink| {
            let failure = relay(BufReader::new(reader), sink);
            let status = child.wait()?;
            let id = std::fs::read_to_string(&iidfile).unwrap_or_default();
            let _ = std::fs::remove_file(&iidfile);
            if status.success() {
                if let Some(line) = failure {
                    sink.json_line(&json!({ "stream": format!("Error: {line}\n") }))?;
                }
                return sink.json_line(&json!({"aux": {"ID": id.trim()}}));
            }
            let message = failure.unwrap_or_else(|| format!("the build failed ({status})"));
            sink.json_line(&in_stream(&message))
        }),
    })
}

/// Streams the build's output lines, save a last `Error: ` line, held back (without its
/// prefix) as the build's failure. A client that went away stops the stream but not the
/// build: its output is read to the end.
fn relay(reader: impl BufRead, sink: &mut dyn Sink) -> Option<String> {
    let mut held: Option<String> = None;
    let mut listening = true;
    let mut show = |text: &str| {
        listening = listening
            && sink
                .json_line(&json!({ "stream": format!("{text}\n") }))
                .is_ok();
    };
    for line in reader.split(b'\n') {
        let Ok(line) = line else { break };
        let line = String::from_utf8_lossy(&line);
        if let Some(earlier) = held.take() {
            show(&format!("Error: {earlier}"));
        }
        match line.strip_prefix("Error: ") {
            Some(error) => held = Some(error.to_string()),
            None => show(&line),
        }
    }
    held
}

/// The `skiff build` flags that say what the query parameters say.
fn build_args(request: &Request) -> ApiResult<Vec<String>> {
    let mut args = Vec::new();
    let mut flag = |name: &str, value: &str| {
        args.push(format!("--{name}"));
        args.push(value.to_string());
    };
    for tag in request.params("t") {
        flag("tag", tag);
    }
    let dockerfile = request.param("dockerfile");
    if !dockerfile.is_empty() {
        flag("file", dockerfile);
    }
    for (name, value) in string_map(request, "buildargs")? {
        flag("build-arg", &format!("{name}={value}"));
    }
    for (name, value) in string_map(request, "labels")? {
        flag("label", &format!("{name}={value}"));
    }
    for host in request.params("extrahosts") {
        for host in host.split(',').filter(|h| !h.is_empty()) {
            flag("add-host", host);
        }
    }
    for ulimit in request
        .json_param("ulimits")?
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = ulimit["Name"].as_str().unwrap_or_default();
        let (soft, hard) = (&ulimit["Soft"], &ulimit["Hard"]);
        flag("ulimit", &format!("{name}={soft}:{hard}"));
    }
    for (param, name) in [
        ("target", "target"),
        ("platform", "platform"),
        ("cpusetcpus", "cpuset-cpus"),
    ] {
        let value = request.param(param);
        if !value.is_empty() {
            flag(name, value);
        }
    }
    let network = request.param("networkmode");
    if !network.is_empty() {
        flag("network", network);
    }
    // docker's clients send 0 for every limit not asked for.
    for (param, name) in [
        ("memory", "memory"),
        ("memswap", "memory-swap"),
        ("cpushares", "cpu-shares"),
        ("cpuperiod", "cpu-period"),
        ("cpuquota", "cpu-quota"),
        ("shmsize", "shm-size"),
    ] {
        let value = request.param(param);
        if !value.is_empty() && value != "0" {
            flag(name, value);
        }
    }
    for (param, name) in [("q", "quiet"), ("nocache", "no-cache"), ("pull", "pull")] {
        if request.flag(param) {
            args.push(format!("--{name}"));
        }
    }
    Ok(args)
}

/// A query parameter holding a JSON object of strings (`buildargs`, `labels`); a null value
/// (a build argument without one) is left out.
fn string_map(request: &Request, name: &str) -> ApiResult<Vec<(String, String)>> {
    let map: Map<String, Value> = match request.json_param(name)? {
        Value::Null => Map::new(),
        Value::Object(map) => map,
        _ => {
            return Err(ApiError::bad_request(format!(
                "{name} must be a JSON object"
            )))
        }
    };
    Ok(map
        .into_iter()
        .filter_map(|(k, v)| Some((k, v.as_str()?.to_string())))
        .collect())
}
