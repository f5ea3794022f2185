//! RFC 8785 (JSON Canonicalization Scheme) text of a `serde_json::Value`, written directly.
//!
//! Every signature and every record digest hashes this text, and the bulk verifier computes it
//! several times for each of a thousand credentials per request. `serde_json_canonicalizer`
//! builds a sortable property object per key and routes every value through serde; writing the
//! text here is several times faster. The general crate stays the authority on what RFC 8785
//! says about the numbers this writer does not print itself (fractions, exponents, integers
//! beyond 2^53): each such number is handed to it. The tests hold the two equal on arbitrary
//! values.

use std::cmp::Ordering;

use serde_json::Value;

/// Integers up to this magnitude are exact as IEEE doubles, where RFC 8785 prints them as
/// plain decimal digits.
const EXACT: u64 = 1 << 53;

/// The RFC 8785 text of `value`. Fails only for numbers RFC 8785 cannot express, which a
/// `Value` parsed from JSON never holds.
pub fn to_vec(value: &Value) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(1024);
    write(value, &mut out)?;
    Ok(out)
}

/// The RFC 8785 text of the object `value` without its top-level member `skip` (as a signed
/// document is hashed without its proof), without copying the rest. A `value` that is not an
/// object is written whole.
pub fn to_vec_without(value: &Value, skip: &str) -> Result<Vec<u8>, serde_json::Error> {
    let Value::Object(map) = value else {
        return to_vec(value);
    };
    let mut out = Vec::with_capacity(4096);
    write_object(map.iter().filter(|(k, _)| k.as_str() != skip), &mut out)?;
    Ok(out)
}

fn write(value: &Value, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out)?,
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => write_object(map.iter(), out)?,
    }
    Ok(())
}

/// A number as ECMAScript's `Number::toString` writes it. Integers within ±2^53, and doubles
/// with an integral value in that range (`2.0` is `2`), are plain digits and are written here;
/// any other number (a fraction, an exponent) goes to the general canonicaliser on its own,
/// whose shortest-digits algorithm breaks ties as ECMAScript does (Rust's `{}` does not always).
fn write_number(n: &serde_json::Number, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    let exact = if let Some(u) = n.as_u64() {
        (u <= EXACT).then_some(u as i64)
    } else if let Some(i) = n.as_i64() {
        (i.unsigned_abs() <= EXACT).then_some(i)
    } else {
        // An integral double of at most 2^53 is an i64 exactly (and -0 prints as 0).
        n.as_f64().filter(|f| *f == f.trunc() && f.abs() <= EXACT as f64).map(|f| f as i64)
    };
    match exact {
        Some(i) => out.extend_from_slice(i.to_string().as_bytes()),
        None => out.extend_from_slice(&serde_json_canonicalizer::to_vec(&Value::Number(n.clone()))?),
    }
    Ok(())
}

fn write_object<'a>(
    members: impl Iterator<Item = (&'a String, &'a Value)>,
    out: &mut Vec<u8>,
) -> Result<(), serde_json::Error> {
    let mut members: Vec<(&String, &Value)> = members.collect();
    members.sort_unstable_by(|a, b| utf16_order(a.0, b.0));
    out.push(b'{');
    for (i, (key, value)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(key, out);
        out.push(b':');
        write(value, out)?;
    }
    out.push(b'}');
    Ok(())
}

/// RFC 8785 sorts member names by their UTF-16 code units. Byte order of UTF-8 is code point
/// order, which differs from it only where a character beyond U+FFFF meets one in
/// U+E000–U+FFFF; ASCII names (all of ours) compare as bytes.
fn utf16_order(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() { a.cmp(b) } else { a.encode_utf16().cmp(b.encode_utf16()) }
}

/// A string as ECMAScript's `JSON.stringify` writes it, which RFC 8785 adopts: `"` and `\`
/// escaped, the control characters as `\b \t \n \f \r` or `\u00xx` (lowercase), and every other
/// character as itself.
fn write_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            0x0c => b"\\f",
            b'\r' => b"\\r",
            0x00..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 0xf)],
                ]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn general(v: &Value) -> Vec<u8> {
        serde_json_canonicalizer::to_vec(v).unwrap()
    }

    fn values() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            (-1e7f64..1e7).prop_map(|f| Value::from(f.trunc())),
            (-1e-5f64..1e-5).prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            "\\PC*".prop_map(Value::from),
            any::<String>().prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                // Short names too, so that members collide, sort and get skipped.
                prop::collection::vec((prop_oneof!["[a-c]", any::<String>()], inner), 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn equals_the_general_canonicaliser(v in values()) {
            prop_assert_eq!(to_vec(&v).unwrap(), general(&v));
        }

        #[test]
        fn without_a_member_equals_the_general_form_of_the_rest(v in values(), skip in "[a-c]") {
            let mut rest = v.clone();
            if let Value::Object(m) = &mut rest {
                m.remove(&skip);
            }
            prop_assert_eq!(to_vec_without(&v, &skip).unwrap(), general(&rest));
        }
    }

    #[test]
    fn the_rfc_8785_cases() {
        // Member order by UTF-16 code units: U+1F600 (a surrogate pair) sorts before U+FB01.
        let v = json!({"\u{fb01}": 1, "\u{1f600}": 2, "b": [true, null, "\u{7}\"\\/\u{2028}"], "a": -9007199254740992i64});
        let text = String::from_utf8(to_vec(&v).unwrap()).unwrap();
        assert_eq!(
            text,
            "{\"a\":-9007199254740992,\"b\":[true,null,\"\\u0007\\\"\\\\/\u{2028}\"],\"\u{1f600}\":2,\"\u{fb01}\":1}"
        );
        assert_eq!(to_vec(&v).unwrap(), general(&v));
        // Beyond 2^53 and fractions go the general way, and still agree.
        let big = json!({"n": 9007199254740993u64, "f": 1.5e300, "z": 0.1});
        assert_eq!(to_vec(&big).unwrap(), general(&big));
    }
}
