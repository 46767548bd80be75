// The one-line recipe for `embed_migrations!`: rebuild when a revision file is added to (or
// removed from) the folder, not only when a listed file changes.
fn main() {
    println!("cargo:rerun-if-changed=../migrations/migrations");
}
