//! The command line: argument parsing (clap) and the mapping of each
//! subcommand's result to an exit code. 0: all conform; 1: divergences
//! found; 2: usage or input errors. The work itself lives in the library.

mod args;
mod call;
mod check;
mod cleanup;
mod error;
mod fuzz;
mod matrix;
mod run;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub(crate) use error::{CommandError, Expected};

/// Conformance test harness and fuzzer for the AWS CloudTrail CreateChannel API.
#[derive(Debug, Parser)]
#[command(name = "ctconform", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run scenarios against an endpoint (the embedded emulator when none is given).
    Run(Box<run::RunArgs>),
    /// Check scenario files without running them.
    Check(check::CheckArgs),
    /// Show which scenarios exercise each contract rule and each cell of the
    /// lifecycle matrix; exit 1 if a rule or a determined cell has none.
    Coverage(check::CoverageArgs),
    /// Send one signed awsJson1_1 call and print the answer.
    Call(call::CallArgs),
    /// Serve the reference emulator (awsJson1_1 over HTTP).
    Serve(serve::ServeArgs),
    /// Fuzz an endpoint (the embedded emulator when none is given) against the contract's oracle.
    Fuzz(Box<fuzz::FuzzArgs>),
    /// Delete the channels and event data stores runs left behind.
    Cleanup(cleanup::CleanupArgs),
}

/// How a subcommand ended.
pub(crate) enum Exit {
    /// Everything conformed.
    Conform,
    /// Divergences were found.
    Diverged,
    /// The invocation or its input was wrong; nothing (more) was sent.
    Usage(CommandError),
    /// Standard output was closed: end quietly.
    BrokenPipe,
}

pub(crate) fn main() -> ExitCode {
    quiet_on_broken_pipe();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            return report(Exit::Usage(CommandError::Start {
                what: error::Start::Runtime,
                why: error.to_string(),
            }))
        }
    };
    let exit = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run::run(*args).await,
            Command::Check(args) => check::check(args),
            Command::Coverage(args) => check::coverage(args).await,
            Command::Call(args) => call::call(args).await,
            Command::Serve(args) => serve::serve(args).await,
            Command::Cleanup(args) => cleanup::cleanup(args).await,
            Command::Fuzz(args) => fuzz::fuzz_command(*args).await,
        }
    });
    report(exit)
}

/// The exit code of a program whose standard output was closed
/// (`ctconform run | head -1`): what a shell shows for one ended by SIGPIPE.
const BROKEN_PIPE: u8 = 141;

/// Rust's print macros panic when standard output is closed; a Unix tool
/// ends quietly instead. `run` writes its lines through [`print_out`] and
/// cleans up first; elsewhere nothing is in flight, so this hook just ends.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("os error 32") {
            std::process::exit(i32::from(BROKEN_PIPE));
        }
        default(info);
    }));
}

/// Writes `text` to standard output; false once it is closed.
pub(crate) fn print_out(text: &str) -> bool {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => true,
        Err(error) => error.kind() != std::io::ErrorKind::BrokenPipe,
    }
}

fn report(exit: Exit) -> ExitCode {
    match exit {
        Exit::Conform => ExitCode::SUCCESS,
        Exit::Diverged => ExitCode::from(1),
        Exit::Usage(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
        Exit::BrokenPipe => ExitCode::from(BROKEN_PIPE),
    }
}
