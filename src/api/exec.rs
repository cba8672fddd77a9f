//! `/containers/{id}/exec` and `/exec/{id}/…`: docker's exec instances. An instance holds the
//! settings of a command until it starts, then `skiff exec` runs it as a child of the service
//! (the exec's namespace work must not be done here), its streams carried by the client's
//! hijacked connection. Instances live in the service's memory, as docker keeps them in its
//! daemon's: an exec outlives nothing but its own run.

use super::containers::summary;
use super::error::{ApiError, ApiResult};
use super::http::Request;
use super::listener::Connection;
use super::{Context, Reply};
use crate::runtime::tty;
use anyhow::Result;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufReader, Read, Write};
use std::os::fd::OwnedFd;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};

/// The exec instances of this service, by ID.
#[derive(Default)]
pub struct Execs(Mutex<HashMap<String, Arc<Instance>>>);

impl Execs {
    fn get(&self, id: &str) -> ApiResult<Arc<Instance>> {
        let all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.get(id)
            .cloned()
            .ok_or_else(|| ApiError::new(404, format!("No such exec instance: {id}")))
    }
}

/// What `POST /containers/{id}/exec` asked for.
struct Settings {
    container: String,
    command: Vec<String>,
    env: Vec<String>,
    workdir: String,
    user: String,
    privileged: bool,
    tty: bool,
    stdin: bool,
    stdout: bool,
    stderr: bool,
}

struct Instance {
    id: String,
    settings: Settings,
    run: Mutex<Run>,
}

/// Where an instance's run stands.
#[derive(Default)]
struct Run {
    started: bool,
    running: bool,
    pid: u32,
    exit_code: Option<i32>,
    /// The master of the exec's terminal, for resizes.
    terminal: Option<Arc<OwnedFd>>,
}

impl Instance {
    fn run(&self) -> std::sync::MutexGuard<'_, Run> {
        self.run.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `skiff exec` with this instance's settings, on the container.
    fn command(&self, context: &Context) -> std::process::Command {
        let s = &self.settings;
        let mut args: Vec<&str> = vec!["exec"];
        if s.stdin {
            args.push("-i");
        }
        if s.tty {
            args.push("-t");
        }
        if s.privileged {
            args.push("--privileged");
        }
        for e in &s.env {
            args.extend(["-e", e]);
        }
        if !s.workdir.is_empty() {
            args.extend(["-w", &s.workdir]);
        }
        if !s.user.is_empty() {
            args.extend(["-u", &s.user]);
        }
        args.extend(["--", &s.container]);
        args.extend(s.command.iter().map(String::as_str));
        context.skiff_command(&args)
    }

    /// Records the start of `child`.
    fn begin(&self, child: &Child, terminal: Option<Arc<OwnedFd>>) {
        let mut run = self.run();
        run.running = true;
        run.pid = child.id();
        run.terminal = terminal;
    }

    /// Claims the instance's one start.
    fn claim(&self) -> ApiResult<()> {
        let mut run = self.run();
        if run.started {
            return Err(ApiError::conflict(format!(
                "Exec command {} has already run",
                self.id
            )));
        }
        run.started = true;
        Ok(())
    }

    fn end(&self, child: &mut Child) {
        // skiff exec's own code is the process's, or docker's 126/127 for one that could not run.
        use std::os::unix::process::ExitStatusExt;
        let code = match child.wait() {
            Ok(status) => status
                .code()
                .unwrap_or_else(|| 128 + status.signal().unwrap_or(9)),
            Err(_) => 137,
        };
        let mut run = self.run();
        run.running = false;
        run.exit_code = Some(code);
        run.terminal = None;
    }
}

/// `POST /containers/{id}/exec`: a new instance for a running container.
pub fn create<'a>(context: &'a Context, request: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let body = request.json_body().map_err(ApiError::bad_request)?;
    let s = summary(context, name)?;
    if !s.state.is_running() {
        return Err(ApiError::conflict(format!(
            "Container {} is not running",
            s.id()
        )));
    }
    let strings = |key: &str| -> ApiResult<Vec<String>> {
        match &body[key] {
            Value::Null => Ok(Vec::new()),
            value => serde_json::from_value(value.clone())
                .map_err(|_| ApiError::bad_request(format!("{key} must be a list of strings"))),
        }
    };
    let text = |key: &str| body[key].as_str().unwrap_or_default().to_string();
    let flag = |key: &str| body[key].as_bool().unwrap_or(false);
    let command = strings("Cmd")?;
    if command.is_empty() {
        return Err(ApiError::bad_request("No exec command specified"));
    }
    let id = crate::store::random_hex(32);
    let instance = Instance {
        id: id.clone(),
        settings: Settings {
            container: s.id().to_string(),
            command,
            env: strings("Env")?,
            workdir: text("WorkingDir"),
            user: text("User"),
            privileged: flag("Privileged"),
            tty: flag("Tty"),
            stdin: flag("AttachStdin"),
            stdout: flag("AttachStdout"),
            stderr: flag("AttachStderr"),
        },
        run: Default::default(),
    };
    let mut all = context.execs.0.lock().unwrap_or_else(|e| e.into_inner());
    all.insert(id.clone(), Arc::new(instance));
    Ok(Reply::Json(201, json!({ "Id": id })))
}

/// `POST /exec/{id}/start`: runs the instance, detached or on the hijacked connection.
pub fn start<'a>(context: &'a Context, request: &'a Request, id: &str) -> ApiResult<Reply<'a>> {
    let body = request.json_body().map_err(ApiError::bad_request)?;
    let instance = context.execs.get(id)?;
    instance.claim()?;
    let tty = instance.settings.tty;
    if body["Detach"].as_bool().unwrap_or(false) {
        let mut child = instance
            .command(context)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(anyhow::Error::from)?;
        instance.begin(&child, None);
        std::thread::spawn(move || instance.end(&mut child));
        return Ok(Reply::Empty(200));
    }
    let window = window(&body["ConsoleSize"]);
    Ok(Reply::Hijack {
        content_type: super::containers::content_type(tty),
        body: Box::new(move |reader, writer| match tty {
            true => on_terminal(context, &instance, reader, writer, window),
            false => on_pipes(context, &instance, reader, writer),
        }),
    })
}

/// `[rows, columns]` as a window size; None for anything else.
fn window(value: &Value) -> Option<libc::winsize> {
    let [rows, columns] = super::create::rows_columns(value)?;
    crate::runtime::tty::window_of(rows, columns)
}

/// Without a terminal: the child's stdout and stderr become docker's frames, the client's
/// input its stdin, whose end closes it.
fn on_pipes(
    context: &Context,
    instance: &Instance,
    reader: BufReader<Connection>,
    writer: Connection,
) -> Result<()> {
    let s = &instance.settings;
    let pipe_or_null = |wanted: bool| {
        if wanted {
            Stdio::piped()
        } else {
            Stdio::null()
        }
    };
    let mut child = instance
        .command(context)
        .stdin(pipe_or_null(s.stdin))
        .stdout(pipe_or_null(s.stdout))
        .stderr(pipe_or_null(s.stderr))
        .spawn()?;
    instance.begin(&child, None);
    if let Some(stdin) = child.stdin.take() {
        std::thread::spawn(move || copy_until_end(reader, stdin));
    }
    let writer = Arc::new(Mutex::new(writer));
    let relays: Vec<_> = [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .enumerate()
    .filter_map(|(stream, pipe)| Some((stream, pipe?)))
    .map(|(stream, pipe)| {
        let writer = writer.clone();
        std::thread::spawn(move || relay_frames(pipe, stream, &writer))
    })
    .collect();
    instance.end(&mut child);
    // The client asks for the exit code once the stream ends: it is recorded by now.
    for relay in relays {
        let _ = relay.join();
    }
    Ok(())
}

/// Output of stream `stream` (0 stdout, 1 stderr) as frames, until it ends.
fn relay_frames(mut pipe: Box<dyn Read + Send>, stream: usize, client: &Mutex<Connection>) {
    let mut buf = vec![0u8; 32 * 1024];
    while let Ok(n @ 1..) = pipe.read(&mut buf) {
        let frame = crate::supervisor::attach::frame(stream, &buf[..n]);
        let mut client = client.lock().unwrap_or_else(|e| e.into_inner());
        if client.write_all(&frame).is_err() {
            return;
        }
    }
}

/// The client's input into `to`, closed at its end.
fn copy_until_end(mut from: BufReader<Connection>, mut to: impl Write) {
    let _ = std::io::copy(&mut from, &mut to);
}

/// With a terminal: the child's stdio is a pty of the service's, whose master carries the
/// raw bytes both ways and takes the client's resizes.
fn on_terminal(
    context: &Context,
    instance: &Instance,
    reader: BufReader<Connection>,
    mut writer: Connection,
    window: Option<libc::winsize>,
) -> Result<()> {
    let pty = nix::pty::openpty(window.as_ref(), None)?;
    let master = Arc::new(pty.master);
    let mut child = instance
        .command(context)
        .stdin(pty.slave.try_clone()?)
        .stdout(pty.slave.try_clone()?)
        .stderr(pty.slave)
        .spawn()?;
    instance.begin(&child, Some(master.clone()));
    let input = std::fs::File::from(master.try_clone()?);
    std::thread::spawn(move || copy_until_end(reader, input));
    let mut output = std::fs::File::from(master.try_clone()?);
    drop(master);
    // The master reads until every holder of the slave is gone (EIO then).
    let _ = std::io::copy(&mut output, &mut writer);
    instance.end(&mut child);
    Ok(())
}

/// `GET /exec/{id}/json`.
pub fn inspect<'a>(context: &'a Context, _: &'a Request, id: &str) -> ApiResult<Reply<'a>> {
    let instance = context.execs.get(id)?;
    let s = &instance.settings;
    let run = instance.run();
    Ok(Reply::Json(
        200,
        json!({
            "ID": instance.id, "Running": run.running, "ExitCode": run.exit_code,
            "ProcessConfig": {
                "tty": s.tty, "entrypoint": s.command[0], "arguments": &s.command[1..],
                "privileged": s.privileged, "user": s.user,
            },
            "OpenStdin": s.stdin, "OpenStdout": s.stdout, "OpenStderr": s.stderr,
            "CanRemove": false, "ContainerID": s.container, "DetachKeys": "", "Pid": run.pid,
        }),
    ))
}

/// `POST /exec/{id}/resize?h=ROWS&w=COLUMNS`.
pub fn resize<'a>(context: &'a Context, request: &'a Request, id: &str) -> ApiResult<Reply<'a>> {
    let instance = context.execs.get(id)?;
    let size = super::attach::window_size(request)?;
    let terminal = instance.run().terminal.clone();
    match terminal {
        Some(master) => tty::set_window_size(&master, &size),
        None if instance.settings.tty => {
            return Err(ApiError::conflict(format!("Exec {id} is not running")))
        }
        None => {}
    }
    Ok(Reply::Empty(200))
}
