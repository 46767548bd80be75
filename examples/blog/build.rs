fn main() {
    // embed_migrations! reads migrations/versions while compiling: a revision added there
    // must rebuild the app.
    println!("cargo:rerun-if-changed=migrations");
}
