//! Bad input said in Bahasa Indonesia, with the field it is about in `details.field`.
//!
//! serde's messages are English and name Rust types ("invalid type: integer `5`, expected a
//! string at line 1 column 20"); a learner's browser or an agency's integrator should read what
//! is wrong and where instead. Every rejection of a body, a query or a path goes through here.
//! NUL characters are refused at the edge too: PostgreSQL cannot store them in text, and no
//! text Penkom keeps has a use for one.

use axum::http::StatusCode;
use serde_json::json;

use crate::error::ApiError;

/// 422 `invalid_field` for `field` (a dotted path such as `items[0].code`), with `problem` in
/// Indonesian.
pub fn invalid(field: &str, problem: &str) -> ApiError {
    let field = if field.is_empty() || field == "." { "(badan permintaan)" } else { field };
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", format!("isian `{field}`: {problem}"))
        .with_details(json!({ "field": field }))
}

/// 422 `invalid_field` for a body that serde refused.
pub fn from_serde(path: &str, message: &str) -> ApiError {
    let (field, problem) = describe(path, message);
    invalid(&field, &problem)
}

/// 400 `invalid_query_parameter` for a query that serde refused.
pub fn query(path: &str, message: &str) -> ApiError {
    let (field, problem) = describe(path, message);
    ApiError::bad_request("invalid_query_parameter", format!("parameter kueri `{field}`: {problem}"))
        .with_details(json!({ "field": field }))
}

/// The field a serde error is about and what is wrong with it, in Indonesian. `path` is where
/// the deserializer was (`.` at the top), `message` serde's own text.
fn describe(path: &str, message: &str) -> (String, String) {
    let invalid = |field: &str, problem: &str| {
        let field = if field.is_empty() || field == "." { "(badan permintaan)" } else { field };
        (field.to_string(), problem.to_string())
    };
    let message = message.rsplit_once(" at line ").map_or(message, |(m, _)| m);
    let child =
        |name: &str| if path.is_empty() || path == "." { name.to_string() } else { format!("{path}.{name}") };
    let quoted = |m: &str| m.split('`').nth(1).unwrap_or("").to_string();
    if let Some(rest) = message.strip_prefix("missing field ") {
        return invalid(&child(&quoted(rest)), "wajib diisi");
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        return invalid(&child(&quoted(rest)), "isian ini tidak dikenal");
    }
    if let Some(rest) = message.strip_prefix("duplicate field ") {
        return invalid(&child(&quoted(rest)), "isian ini muncul lebih dari sekali");
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let choices = rest.split_once("expected ").map_or("", |(_, c)| c).replace("one of ", "");
        return invalid(path, &format!("nilai `{}` tidak dikenal; pilihan: {choices}", quoted(rest)));
    }
    let problem = if message.starts_with("invalid type: ") {
        let expected = message.split_once("expected ").map_or("", |(_, e)| e);
        format!("jenis nilainya salah, seharusnya {}", kind(expected))
    } else if message.starts_with("invalid length ") {
        "jumlah atau panjangnya tidak sesuai".to_string()
    } else if message.starts_with("invalid value: ") {
        "nilainya tidak valid".to_string()
    } else if is_english(message) {
        // Parse errors of numbers, UUIDs, dates and the like: the field says where.
        "formatnya tidak valid".to_string()
    } else {
        // Penkom's own validating types (`Nip`, `Jp`, `Email`, …) explain in Indonesian.
        message.to_string()
    };
    invalid(path, &problem)
}

/// serde's "expected" text in Indonesian.
fn kind(expected: &str) -> &'static str {
    let e = expected.to_ascii_lowercase();
    if e.contains("string") || e.contains("char") {
        "teks"
    } else if e.contains("bool") {
        "true atau false"
    } else if e.contains("sequence") || e.contains("array") || e.contains("vec") {
        "daftar"
    } else if e.contains("map") || e.contains("struct") {
        "objek"
    } else if e.contains("f32") || e.contains("f64") || e.contains("float") {
        "bilangan"
    } else if e.contains("i8")
        || e.contains("i16")
        || e.contains("i32")
        || e.contains("i64")
        || e.contains("u8")
        || e.contains("u16")
        || e.contains("u32")
        || e.contains("u64")
        || e.contains("integer")
    {
        "bilangan bulat"
    } else {
        "nilai lain"
    }
}

/// Whether a message is one of the English texts of serde or of a parser it calls, rather than
/// one of Penkom's own (which are Indonesian).
fn is_english(message: &str) -> bool {
    const WORDS: [&str; 10] = [
        "expected",
        "invalid",
        "found",
        "failed",
        "cannot",
        "premature",
        "too large",
        "too small",
        "out of range",
        "trailing",
    ];
    let m = message.to_ascii_lowercase();
    WORDS.iter().any(|w| m.contains(w))
}

/// Whether a JSON text holds a NUL character: a `\u0000` escape that is not itself escaped
/// (raw control characters are not valid JSON inside strings). Found by a scan of the bytes, so
/// the common case costs one pass and no parse.
pub fn json_has_nul(bytes: &[u8]) -> bool {
    let needle = b"\\u0000";
    let mut from = 0;
    while let Some(at) = bytes[from..].windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle)) {
        let start = from + at;
        // An odd number of backslashes in a row ends in an escape; an even one is text.
        let run = bytes[..=start].iter().rev().take_while(|b| **b == b'\\').count();
        if run % 2 == 1 {
            return true;
        }
        from = start + 1;
    }
    false
}

/// The path (`a.b[2].c`) of the first key or string in `value` that holds a NUL character.
pub fn nul_path(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0').then(String::new),
        Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, v)| nul_path(v).map(|p| format!("[{i}]{p}")))
        }
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                return Some(format!(".{}", k.replace('\0', "")));
            }
            nul_path(v).map(|p| format!(".{k}{p}"))
        }),
        _ => None,
    }
}

/// 422 for a NUL character in `field`.
pub fn nul(field: &str) -> ApiError {
    invalid(field.trim_start_matches('.'), "tidak boleh memuat karakter NUL (\\u0000)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(e: &ApiError) -> (String, String) {
        (e.message.clone(), e.details.as_ref().unwrap()["field"].as_str().unwrap().to_string())
    }

    #[test]
    fn serde_messages_become_indonesian_with_the_field_named() {
        let cases = [
            (".", "missing field `title` at line 1 column 2", "title", "wajib diisi"),
            (
                "items[0]",
                "unknown field `cod`, expected one of `code`, `credential`",
                "items[0].cod",
                "tidak dikenal",
            ),
            ("year", "invalid type: string \"x\", expected i32 at line 1 column 9", "year", "bilangan bulat"),
            ("visible", "invalid type: integer `1`, expected a boolean", "visible", "true atau false"),
            (
                "kind",
                "unknown variant `x`, expected one of `single`, `multiple`",
                "kind",
                "`single`, `multiple`",
            ),
            ("year", "invalid digit found in string", "year", "formatnya tidak valid"),
            ("nip", "NIP harus 18 digit", "nip", "NIP harus 18 digit"),
        ];
        for (path, message, field, needle) in cases {
            let (text, named) = said(&from_serde(path, message));
            assert_eq!(named, field, "{message}");
            assert!(text.contains(needle) && text.contains(&format!("`{field}`")), "{message}: {text}");
            assert!(!text.contains("expected") && !text.contains("line 1"), "{text}");
        }
    }

    #[test]
    fn a_nul_is_found_only_where_it_is_a_character() {
        assert!(json_has_nul(br#"{"title":"a\u0000b"}"#));
        assert!(json_has_nul(br#"{"title":"a\\\u0000b"}"#), "an escaped backslash, then a NUL");
        assert!(!json_has_nul(br#"{"title":"a\\u0000b"}"#), "the text \\u0000 is no NUL");
        assert!(!json_has_nul(br#"{"visible":true}"#));
        let v: serde_json::Value = serde_json::from_slice(br#"{"a":[{"b":"ok"},{"c":"x\u0000"}]}"#).unwrap();
        assert_eq!(nul_path(&v).as_deref(), Some(".a[1].c"));
        assert_eq!(said(&nul(".a[1].c")).1, "a[1].c");
    }
}
