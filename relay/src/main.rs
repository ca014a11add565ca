//! `relay`: the ERP BTP subscription relay's command line (see `relay --help`).

fn main() -> std::process::ExitCode {
    relay::cli::main()
}
