//! Finds libdqlite through pkg-config. Without it the build stops with one line that
//! names the Debian package to install.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    match pkg_config::Config::new()
        .atleast_version("1.11")
        .probe("dqlite")
    {
        Ok(_) => {}
        Err(_) => {
            // One clear line; cargo prints it as the build failure.
            eprintln!(
                "error: libdqlite (>= 1.11) was not found by pkg-config; install it with \
                 `sudo apt-get install libdqlite-dev pkg-config` (or run `make deps`)"
            );
            std::process::exit(1);
        }
    }
}
