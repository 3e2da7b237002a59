//! Rebuilds the crate when the committed bundle in `dist/` changes (a rebuilt bundle
//! has new file names, which the embedding alone would not notice).

fn main() {
    println!("cargo:rerun-if-changed=dist");
}
