//! The command line: argument parsing (clap) and the mapping of each
//! subcommand's result to an exit code. 0: all conform; 1: divergences
//! found; 2: usage or input errors. The work itself lives in the library.

mod args;
mod call;
mod check;
mod cleanup;
mod fuzz;
mod matrix;
mod run;
mod serve;

pub use check::coverage_table;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
pub enum Exit {
    /// Everything conformed.
    Conform,
    /// Divergences were found.
    Diverged,
    /// The invocation or its input was wrong; nothing (more) was sent.
    Usage(String),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            return report(Exit::Usage(format!(
                "cannot start the async runtime: {error}"
            )))
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

fn report(exit: Exit) -> ExitCode {
    match exit {
        Exit::Conform => ExitCode::SUCCESS,
        Exit::Diverged => ExitCode::from(1),
        Exit::Usage(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
