fn main() {
    std::process::exit(driftscan::cli::main());
}
