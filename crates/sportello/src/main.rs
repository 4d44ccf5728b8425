fn main() -> std::process::ExitCode {
    sportello::cli::main()
}
