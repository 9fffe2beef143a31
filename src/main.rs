//! The `ctconform` binary: parses the command line and hands over to `cli`.

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    ctconform::cli::main()
}
