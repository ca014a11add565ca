//! `relay`: the ERP BTP subscription relay's command line (see `relay --help`).

/// glibc's allocator spent about an eighth of the relay's CPU under webhook load (perf), mostly
/// in consolidating the large buffers each batch builds and frees.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    relay::cli::main()
}
