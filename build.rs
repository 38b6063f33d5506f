// The migrations are compiled into the binary (`sqlx::migrate!`): a new or changed migration
// rebuilds it (without this, cargo would not know the macro read the directory).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
