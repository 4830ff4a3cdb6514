//! The `forkwait` command line.
fn main() {
    eprintln!("forkwait: the command line arrives with the model language");
    std::process::exit(2);
}
