//! The house rules that a reader cannot be trusted to keep by eye, checked over the sources:
//! every module says what it holds (`//!`), and every type a request is read into refuses
//! unknown fields (a misspelt field must be an error, not a silently ignored value).

use std::path::{Path, PathBuf};

/// Domain types that requests are read into, outside the HTTP crates.
const REQUEST_TYPES_ELSEWHERE: [&str; 1] = ["crates/certificates/src/checking.rs"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() && name != "target" && name != "node_modules" && name != ".git" {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources(under: &[&str]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in under {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(!files.is_empty(), "no sources under {under:?}");
    files
}

#[test]
fn every_module_opens_with_a_doc_comment_saying_what_it_holds() {
    let missing: Vec<String> = sources(&["src", "crates", "migrations", "tests"])
        .into_iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap_or_default().trim_start().starts_with("//!"))
        .map(|f| f.strip_prefix(root()).unwrap_or(&f).display().to_string())
        .collect();
    assert!(missing.is_empty(), "modules without a `//!` doc: {missing:#?}");
}

/// The structs deriving `Deserialize` in `text` that lack `deny_unknown_fields`, by line.
fn lenient_structs(text: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !(line.contains("derive(") && line.contains("Deserialize")) {
            continue;
        }
        // The attributes run from the derive to the item it decorates.
        let Some(item) = (i..lines.len()).find(|&j| {
            let l = lines[j].trim_start();
            !(l.starts_with("#[") || l.starts_with("///"))
        }) else {
            continue;
        };
        let attributes = lines[i..item].join("\n");
        let decl = lines[item].trim();
        let is_struct = decl.split_whitespace().take(3).any(|w| w == "struct");
        // A newtype validates its one value and has no fields to misspell.
        let newtype = decl.contains('(');
        if is_struct && !newtype && !attributes.contains("deny_unknown_fields") {
            found.push((item + 1, decl.to_string()));
        }
    }
    found
}

#[test]
fn every_request_type_refuses_unknown_fields() {
    let mut files = sources(&["crates/penkom-api/src", "crates/penkom-web/src"]);
    files.extend(REQUEST_TYPES_ELSEWHERE.iter().map(|f| root().join(f)));
    let mut lenient = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (line, decl) in lenient_structs(&text) {
            lenient.push(format!("{}:{line}: {decl}", f.strip_prefix(root()).unwrap_or(&f).display()));
        }
    }
    assert!(lenient.is_empty(), "request types without #[serde(deny_unknown_fields)]: {lenient:#?}");
}

#[test]
fn the_check_itself_tells_a_lenient_struct_from_a_strict_one() {
    let text = "#[derive(Deserialize)]\n#[serde(deny_unknown_fields)]\npub struct A {\n}\n\
                #[derive(Debug, Deserialize)]\npub struct B {\n}\n#[derive(Deserialize)]\npub struct C(String);\n";
    assert_eq!(lenient_structs(text), vec![(6, "pub struct B {".to_string())]);
}
