//! `--init`: skiff itself stays pid 1 of the container, runs the command as its child,
//! forwards signals to it, reaps every orphan that lands on pid 1, and exits with the
//! command's status.

use super::child::{exec, find_program, send, ChildMessage};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{fork, ForkResult, Pid};
use std::os::fd::OwnedFd;

/// Never returns: either the command is executed in a child and this process exits with
/// its status, or the failure is reported to the supervisor.
pub(super) fn run(args: &[String], env: &[String], sock: &OwnedFd) -> ! {
    let program = match find_program(&args[0], env) {
        Ok(p) => p,
        Err(e) => {
            let code = e.exit_code();
            let _ = send(sock, &ChildMessage::Failed(e), None);
            unsafe { libc::_exit(code) }
        }
    };
    let all = SigSet::all();
    let _ = all.thread_block();
    // SAFETY: single-threaded.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            let _ = SigSet::all().thread_unblock();
            let Err(e) = exec(program, args, env);
            let error = e
                .downcast::<super::StartError>()
                .unwrap_or_else(|e| super::StartError::Setup(e.to_string()));
            let code = error.exit_code();
            let _ = send(sock, &ChildMessage::Failed(error), None);
            unsafe { libc::_exit(code) }
        }
        Ok(ForkResult::Parent { child }) => {
            // The child reports its own exec failure; pid 1 keeps no descriptor at all, so
            // that its copy of the start socket does not keep the supervisor waiting.
            unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0) };
            supervise(child, &all)
        }
        Err(_) => unsafe { libc::_exit(125) },
    }
}

fn supervise(child: Pid, signals: &SigSet) -> ! {
    loop {
        let Ok(signal) = signals.wait() else { continue };
        if signal != Signal::SIGCHLD {
            let _ = nix::sys::signal::kill(child, signal);
            continue;
        }
        loop {
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) if pid == child => unsafe { libc::_exit(code) },
                Ok(WaitStatus::Signaled(pid, sig, _)) if pid == child => unsafe {
                    libc::_exit(128 + sig as i32)
                },
                Ok(WaitStatus::StillAlive) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
}
