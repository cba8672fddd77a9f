fn main() {
    std::process::exit(skiff::main());
}
