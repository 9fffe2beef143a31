//! Running the `ctconform` binary as a child process and measuring it: exit
//! code, output, wall time and peak memory (the child's max RSS from
//! `wait4`), with a watchdog so a hang fails the test instead of stalling
//! it. Also a TCP server that only counts connections, to prove that
//! nothing was sent.

#![allow(dead_code)]

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;

/// How a child run of `ctconform` ended.
#[derive(Debug)]
pub struct Finished {
    /// `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// Peak resident memory of the child, in KiB.
    pub max_rss_kib: u64,
    /// The watchdog had to kill it.
    pub killed: bool,
}

impl Finished {
    pub fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    pub fn max_rss_mib(&self) -> f64 {
        self.max_rss_kib as f64 / 1024.0
    }
}

/// The binary with a quiet, endpoint-free environment.
pub fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ctconform"));
    command
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CTCONFORM_ENDPOINT")
        .env_remove("CTCONFORM_ALLOW_REMOTE")
        // A run appends its matrix to the step summary of a CI job.
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Known fake AWS credentials: a test that finds one of them in an output
/// or a report has caught a leak.
pub struct FakeCredentials {
    pub access_key_id: &'static str,
    pub secret_access_key: &'static str,
    pub session_token: &'static str,
}

impl FakeCredentials {
    pub fn secrets(&self) -> [&'static str; 3] {
        [
            self.access_key_id,
            self.secret_access_key,
            self.session_token,
        ]
    }
}

/// The binary (as `command`) with `credentials` in its environment as the
/// only source the AWS credential chain finds: no config or credentials
/// file, no profile, no instance metadata.
pub fn with_fake_credentials(args: &[&str], credentials: &FakeCredentials) -> Command {
    let mut command = command(args);
    command
        .env("AWS_ACCESS_KEY_ID", credentials.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", credentials.secret_access_key)
        .env("AWS_SESSION_TOKEN", credentials.session_token)
        .env("AWS_CONFIG_FILE", "/nonexistent/ctconform/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/ctconform/credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE");
    command
}

/// Runs `ctconform args`, killing it after `limit`.
pub fn ctconform(args: &[&str], limit: Duration) -> Finished {
    run(command(args), limit)
}

/// Runs `command` to its end (or `limit`), measuring it.
pub fn run(mut command: Command, limit: Duration) -> Finished {
    let started = Instant::now();
    let child = command.spawn().expect("the binary starts");
    finish(child, started, limit)
}

/// Waits for a spawned `child` (stdout and stderr piped), killing it when
/// `limit` has passed since `started`.
pub fn finish(mut child: Child, started: Instant, limit: Duration) -> Finished {
    let pid = child.id() as libc::pid_t;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let done = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (done, killed) = (Arc::clone(&done), Arc::clone(&killed));
        std::thread::spawn(move || {
            while started.elapsed() < limit {
                if done.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if !done.load(Ordering::SeqCst) {
                killed.store(true, Ordering::SeqCst);
                // SAFETY: plain syscall on our own child, not yet reaped.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        })
    };
    let (code, max_rss_kib) = wait_measured(pid);
    done.store(true, Ordering::SeqCst);
    let elapsed = started.elapsed();
    let _ = watchdog.join();
    // The child is reaped; keep std from trying again.
    std::mem::forget(child);
    Finished {
        code,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        elapsed,
        max_rss_kib,
        killed: killed.load(Ordering::SeqCst),
    }
}

/// Waits for `pid` with `wait4`: its exit code and max RSS (KiB on Linux).
pub fn wait_measured(pid: libc::pid_t) -> (Option<i32>, u64) {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data, zeroed is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pointers to live locals; pid is our child.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            panic!("wait4: {}", std::io::Error::last_os_error());
        }
    }
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (code, usage.ru_maxrss.max(0) as u64)
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// A fresh directory under the system's temporary one, removed on drop.
/// Named apart by a UUID: every test of this binary shares one process id.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("ctconform-{name}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    /// The path of `name` in it, as an argument.
    pub fn file(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A TCP server on 127.0.0.1 that accepts, counts and closes connections.
pub struct CountingServer {
    pub url: String,
    pub connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CountingServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn counting_server() -> CountingServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&connections);
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    CountingServer {
        url,
        connections,
        task,
    }
}

/// A peer server this suite did not write (moto, ministack, localemu),
/// started on a free loopback port; killed on drop.
pub struct Peer {
    child: Child,
    pub url: String,
    pub port: u16,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Peer {
    /// Starts `program` with `args` and `env`, in which `{port}` stands for
    /// the free port picked, and waits until `ready(port)` holds, for at
    /// most `within`. `Err` says why it could not start.
    pub fn start(
        program: &std::path::Path,
        args: &[&str],
        env: &[(&str, &str)],
        within: Duration,
        ready: impl Fn(u16) -> bool,
    ) -> Result<Peer, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .map_err(|e| e.to_string())?;
        let port_text = port.to_string();
        let fill = |text: &str| text.replace("{port}", &port_text);
        let mut command = Command::new(program);
        command
            .args(args.iter().map(|arg| fill(arg)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (name, value) in env {
            command.env(name, fill(value));
        }
        let child = command
            .spawn()
            .map_err(|e| format!("{}: {e}", program.display()))?;
        let peer = Peer {
            child,
            url: format!("http://127.0.0.1:{port}"),
            port,
        };
        let deadline = Instant::now() + within;
        while !ready(port) {
            if Instant::now() >= deadline {
                return Err(format!(
                    "{} was not ready on {port} within {within:?}",
                    program.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(peer)
    }

    /// Ready once it accepts a TCP connection.
    pub fn listening(port: u16) -> bool {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    }
}

/// `program` as found on PATH.
pub fn on_path(program: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}
