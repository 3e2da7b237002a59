//! The built bundle (`dist/`, committed; built from `web/` by `npm run build`), embedded
//! in the binary: finding a file by its path, its content type, and how long a
//! browser may keep it.

use include_dir::{include_dir, Dir};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::OnceLock;

static DIST: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/dist");

/// The page every view of the dashboard is drawn in.
pub const INDEX: &str = "index.html";

/// One embedded file, ready to answer with.
pub struct Asset {
    pub bytes: &'static [u8],
    pub content_type: &'static str,
    pub cache_control: &'static str,
    /// A strong validator: the file's SHA-256, quoted.
    pub etag: String,
}

/// Every file of the bundle by its path, hashed once.
fn bundle() -> &'static HashMap<String, Asset> {
    static BUNDLE: OnceLock<HashMap<String, Asset>> = OnceLock::new();
    BUNDLE.get_or_init(|| {
        let mut files = HashMap::new();
        let mut folders = vec![&DIST];
        while let Some(folder) = folders.pop() {
            folders.extend(folder.dirs());
            for file in folder.files() {
                let path = file.path().to_string_lossy().replace('\\', "/");
                let etag = format!("\"{}\"", hex::encode(Sha256::digest(file.contents())));
                let asset = Asset {
                    bytes: file.contents(),
                    content_type: content_type(&path),
                    cache_control: cache_control(&path),
                    etag,
                };
                files.insert(path, asset);
            }
        }
        files
    })
}

/// The file at `path` (relative to `dist/`), if the bundle has it.
pub fn find(path: &str) -> Option<&'static Asset> {
    bundle().get(path)
}

/// Every file of the bundle, by path.
pub fn paths() -> impl Iterator<Item = &'static str> {
    bundle().keys().map(String::as_str)
}

/// The content type of a bundle file, by its extension.
pub fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map_or("", |(_, e)| e);
    match extension {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Files under `assets/` have their content's hash in their name, so a browser may keep
/// them for a year; the page itself is checked on every load (with its ETag), so a new
/// binary's page, and through it the new assets, are seen at once.
pub fn cache_control(path: &str) -> &'static str {
    if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundle_has_its_page_and_hashed_assets_only() {
        let paths: Vec<&str> = paths().collect();
        assert!(paths.contains(&INDEX), "{paths:?}");
        assert!(paths.iter().any(|p| p.ends_with(".js")), "{paths:?}");
        for path in paths.iter().filter(|p| **p != INDEX) {
            assert!(path.starts_with("assets/"), "{path} is not a hashed asset");
            assert_ne!(content_type(path), "application/octet-stream", "{path}");
        }
    }

    #[test]
    fn the_page_refers_to_assets_the_bundle_has() {
        let page = find(INDEX).expect("index.html is embedded");
        let page = std::str::from_utf8(page.bytes).expect("utf-8 page");
        let referred: Vec<&str> = page
            .split("/dashboard/")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        assert!(!referred.is_empty(), "{page}");
        for path in referred {
            assert!(
                find(path).is_some(),
                "the page refers to {path}, not in dist/"
            );
        }
    }

    #[test]
    fn hashed_assets_are_kept_and_the_page_is_checked() {
        assert_eq!(
            cache_control("assets/index-Ab12.js"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(cache_control(INDEX), "no-cache");
        assert_eq!(content_type("assets/x.css"), "text/css; charset=utf-8");
        assert_eq!(content_type(INDEX), "text/html; charset=utf-8");
        assert!(find("assets/no-such-file.js").is_none());
        assert!(find("../Cargo.toml").is_none());
    }
}
