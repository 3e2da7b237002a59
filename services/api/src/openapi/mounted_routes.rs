//! Reading the routes that `configure`-style source mounts, as `(METHOD, path)` pairs,
//! for the test that the document lists exactly the `/v1/` routes of `routes/mod.rs`.

use std::collections::BTreeSet;

/// A `(METHOD, path)` pair, path parameters written `{}` whatever their name.
pub(super) type Operation = (String, String);

pub(super) const METHODS: [&str; 6] = ["get", "head", "post", "put", "delete", "patch"];

pub(super) fn normalized(path: &str) -> String {
    let mut out = String::new();
    let mut in_parameter = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_parameter = true;
                out.push_str("{}");
            }
            '}' => in_parameter = false,
            _ if in_parameter => {}
            _ => out.push(c),
        }
    }
    out
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
    Other,
}

/// The tokens of Rust source, as far as reading routes needs: words (with `::`),
/// string literals, parentheses; comments dropped.
fn tokens(source: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' => {
                let mut text = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => text.extend(chars.next()),
                        '"' => break,
                        _ => text.push(c),
                    }
                }
                tokens.push(Token::Text(text));
            }
            '(' => tokens.push(Token::Open),
            ')' => tokens.push(Token::Close),
            c if c.is_alphanumeric() || c == '_' || c == ':' => {
                let mut word = String::from(c);
                while let Some(&c) = chars.peek() {
                    if !(c.is_alphanumeric() || c == '_' || c == ':') {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
            c if c.is_whitespace() => {}
            _ => tokens.push(Token::Other),
        }
    }
    tokens
}

/// Every route `configure`-style code mounts: `web::scope("…")` prefixes what is
/// inside the call chain it starts, `web::resource("…")` and `.route("…", …)` name
/// the path that the `web::get()` (…) inside them route.
pub(super) fn mounted(source: &str) -> BTreeSet<Operation> {
    struct Frame {
        scope: bool,
        path: String,
        depth: usize,
    }
    let tokens = tokens(source);
    let mut frames: Vec<Frame> = Vec::new();
    let mut depth = 0usize;
    let mut routes = BTreeSet::new();
    for (index, token) in tokens.iter().enumerate() {
        match token {
            Token::Open => depth += 1,
            Token::Close => {
                depth = depth.saturating_sub(1);
                while frames.last().is_some_and(|frame| frame.depth > depth) {
                    frames.pop();
                }
            }
            Token::Word(word) => {
                let name = word.rsplit("::").next().unwrap_or(word);
                let literal = match (tokens.get(index + 1), tokens.get(index + 2)) {
                    (Some(Token::Open), Some(Token::Text(text))) => Some(text),
                    _ => None,
                };
                let prefix = frames
                    .iter()
                    .rev()
                    .find(|frame| frame.scope)
                    .map_or("", |frame| frame.path.as_str());
                match (name, literal) {
                    ("scope" | "resource", Some(text)) => frames.push(Frame {
                        scope: name == "scope",
                        path: format!("{prefix}{text}"),
                        depth,
                    }),
                    ("route", Some(text)) => frames.push(Frame {
                        scope: false,
                        path: format!("{prefix}{text}"),
                        depth: depth + 1,
                    }),
                    _ if word.starts_with("web::") && METHODS.contains(&name) => {
                        let resource = frames
                            .iter()
                            .rev()
                            .find(|frame| !frame.scope)
                            .unwrap_or_else(|| panic!("{word}() outside a resource"));
                        routes.insert((name.to_uppercase(), normalized(&resource.path)));
                    }
                    _ => {}
                }
            }
            Token::Text(_) | Token::Other => {}
        }
    }
    routes
}

#[test]
fn the_route_reader_follows_scopes_resources_and_routes() {
    let source = r#"
        config
            .route("/healthz", web::get().to(ops::healthz)) // not "/v1/x"
            .service(
                web::scope("/v1/a")
                    .service(
                        web::resource("/b/{id}")
                            .route(web::post().to(a::create))
                            .route(web::get().to(a::list)),
                    )
                    .service(web::resource("/c").route(web::delete().to(a::c))),
            )
            .route("/v1/d/{x}/e", web::put().to(d::put))
            .service(web::resource("/v1/f").route(web::get().to(documents::get::<X>)));
    "#;
    let operation = |method: &str, path: &str| (method.to_owned(), path.to_owned());
    let expected = BTreeSet::from([
        operation("GET", "/healthz"),
        operation("POST", "/v1/a/b/{}"),
        operation("GET", "/v1/a/b/{}"),
        operation("DELETE", "/v1/a/c"),
        operation("PUT", "/v1/d/{}/e"),
        operation("GET", "/v1/f"),
    ]);
    assert_eq!(mounted(source), expected);
}
