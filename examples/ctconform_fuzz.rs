//! `ctconform fuzz` as a standalone binary, until the CLI wires
//! `ctconform::fuzz::FuzzArgs` in as a subcommand (benches use it then too):
//! `cargo run --release --example ctconform_fuzz -- --duration 10s`.

use std::process::ExitCode;

use clap::Parser;
use ctconform::fuzz::{cli_args, FuzzArgs};

#[derive(Parser)]
#[command(name = "ctconform-fuzz")]
struct Cli {
    #[command(flatten)]
    args: FuzzArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(cli_args::run(cli.args)) {
        Ok(false) => ExitCode::SUCCESS,
        Ok(true) => ExitCode::from(1),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
