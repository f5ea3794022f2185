//! The request constraints the OpenAPI document states, built from the rules the domain
//! enforces: which characters free text may hold (`penkom_core::text`), the years the ledger
//! accepts, the shape of course keys and codes. Request types use them through `schema_with`,
//! so the document and the checks say the same thing, and the schemathesis run (CI) holds both
//! to it: a request the document calls valid must be accepted, and one it calls invalid refused.
//!
//! Lengths are counted in characters (JSON Schema's `maxLength` counts code points, as Rust's
//! `chars().count()` does). Patterns are ECMA-262 regular expressions without lookaround, which
//! every OpenAPI tool reads the same way.

use utoipa::openapi::schema::OneOfBuilder;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{Object, Schema};

/// Characters refused in single-line free text, as ranges: control characters, the
/// bidirectional embedding, override and isolate marks, and the line and paragraph separators
/// (`penkom_core::text::allowed`; a test holds the two equal for every character).
const REFUSED: &[(char, char)] =
    &[('\u{0}', '\u{1f}'), ('\u{7f}', '\u{9f}'), ('\u{2028}', '\u{202e}'), ('\u{2066}', '\u{2069}')];

/// The whitespace `str::trim` removes that single-line text may hold (Unicode `White_Space`,
/// less the control characters, which are refused anyway).
const SPACES: &[(char, char)] = &[
    (' ', ' '),
    ('\u{a0}', '\u{a0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200a}'),
    ('\u{202f}', '\u{202f}'),
    ('\u{205f}', '\u{205f}'),
    ('\u{3000}', '\u{3000}'),
];

fn escape(c: char) -> String {
    if c.is_ascii_alphanumeric() { c.to_string() } else { format!("\\u{:04x}", c as u32) }
}

fn ranges(rs: &[(char, char)]) -> String {
    rs.iter().map(|&(a, b)| if a == b { escape(a) } else { format!("{}-{}", escape(a), escape(b)) }).collect()
}

/// A class of the characters outside `refused`.
fn not_in(refused: &[&[(char, char)]]) -> String {
    format!("[^{}]", refused.iter().map(|r| ranges(r)).collect::<String>())
}

/// A class of these characters.
fn any_of(sets: &[&[(char, char)]]) -> String {
    format!("[{}]", sets.iter().map(|r| ranges(r)).collect::<String>())
}

/// What a single-line text may hold, refusal by refusal: multi-line text is refused the same
/// characters but for the line breaks.
fn refused_multiline() -> Vec<(char, char)> {
    vec![('\u{0}', '\u{8}'), ('\u{b}', '\u{c}'), ('\u{e}', '\u{1f}'), REFUSED[1], REFUSED[2], REFUSED[3]]
}

fn string(pattern: String, max: Option<usize>, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .pattern(Some(pattern))
        .max_length(max)
        .description(Some(description))
        .build()
}

fn trimmed(allowed: &str, spaces: &str, visible: &str, min: usize, max: usize) -> String {
    // Trimmed, the text starts and ends with a visible character; between them lie min - 2 to
    // max - 2 characters of any allowed kind. Leading and trailing spaces are not counted.
    let inner = format!("{allowed}{{{},{}}}", min.saturating_sub(2), max - 2);
    if min <= 1 {
        format!("^{spaces}*{visible}({inner}{visible})?{spaces}*$")
    } else {
        format!("^{spaces}*{visible}{inner}{visible}{spaces}*$")
    }
}

/// Single-line free text of at most `MAX` characters, which may be empty (a draft's field).
pub fn line<const MAX: usize>() -> Object {
    string(format!("^{}*$", not_in(&[REFUSED])), Some(MAX), "Single-line text without control characters")
}

/// Multi-line free text of at most `MAX` characters, which may be empty.
pub fn text<const MAX: usize>() -> Object {
    string(
        format!("^{}*$", not_in(&[&refused_multiline()])),
        Some(MAX),
        "Text without control characters other than line breaks and tabs",
    )
}

/// Single-line free text that, without its leading and trailing spaces, has `MIN` to `MAX`
/// characters (a reason, a name): the rule of `str::trim` then `chars().count()`.
pub fn required_line<const MIN: usize, const MAX: usize>() -> Object {
    let allowed = not_in(&[REFUSED]);
    let visible = not_in(&[REFUSED, SPACES]);
    let spaces = any_of(&[SPACES]);
    string(
        trimmed(&allowed, &spaces, &visible, MIN.max(1), MAX),
        None,
        "Single-line text; leading and trailing spaces are removed and not counted",
    )
}

/// A calendar year the ledger keeps (`jp_ledger::check_year`).
pub fn year() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int32)))
        .minimum(Some(f64::from(*jp_ledger::YEARS.start())))
        .maximum(Some(f64::from(*jp_ledger::YEARS.end())))
        .build()
}

/// A year, or `null` for the current one.
pub fn optional_year() -> Object {
    let mut o = year();
    o.schema_type = SchemaType::Array(vec![Type::Integer, Type::Null]);
    o
}

/// A non-negative whole number up to `MAX`.
pub fn count<const MAX: u32>() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int32)))
        .minimum(Some(0.0))
        .maximum(Some(f64::from(MAX)))
        .build()
}

/// An amount of JP (`penkom_core::Jp`): a plain decimal string with at most two places that
/// count (`"1.5"`, `"20"`), or a whole number, from 0 to 1,000.
pub fn jp() -> Schema {
    let [text, whole] = jp_forms();
    Schema::OneOf(OneOfBuilder::new().item(text).item(whole).build())
}

/// An amount of JP, or `null`.
pub fn optional_jp() -> Schema {
    let null = ObjectBuilder::new().schema_type(SchemaType::Type(Type::Null)).build();
    let [text, whole] = jp_forms();
    Schema::OneOf(OneOfBuilder::new().item(text).item(whole).item(null).build())
}

fn jp_forms() -> [Object; 2] {
    let text = string(
        r"^0*([0-9]{1,3}(\.[0-9]{1,2}0*)?|1000(\.0+)?)$".into(),
        None,
        "Decimal text, at most two decimal places",
    );
    let whole = ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .minimum(Some(0.0))
        .maximum(Some(f64::from(penkom_core::jp::MAX_WHOLE_JP)))
        .build();
    [text, whole]
}

/// One of these strings.
pub fn one_of(names: &[&str]) -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .enum_values(Some(names.iter().copied()))
        .build()
}

/// How multiple-choice questions are scored (`course_delivery::Scoring`).
pub fn scoring() -> Object {
    one_of(&["all_or_nothing", "partial"])
}

/// A report's format (`csv_body::wanted`).
pub fn format() -> Object {
    one_of(&["csv", "json"])
}

/// A CSV separator (`csv_body::separator`).
pub fn separator() -> Object {
    one_of(&[",", ";", "comma", "semicolon"])
}

/// An OPD code (`penkom_core::OpdCode`).
pub fn opd_code() -> Object {
    string(r"^ *[A-Za-z0-9_.-]{1,32} *$".into(), None, "Letters, digits, `-`, `_` and `.`")
}

/// The items of a bulk verification (`certificates::checking::Item`): 1 to
/// [`certificates::checking::MAX_ITEMS`]. An item that carries neither a code nor a credential,
/// or both, is answered `invalid` in its place in the results.
pub fn bulk_items() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder};
    // Any text but NUL (refused at the edge); a code that is not one is answered `invalid`.
    let nullable_string = || {
        ObjectBuilder::new()
            .schema_type(SchemaType::Array(vec![Type::String, Type::Null]))
            .pattern(Some("^[^\\u0000]*$"))
    };
    let item = ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Object))
        .property("code", nullable_string().description(Some("A verification code")))
        .property("credential", utoipa::openapi::Ref::from_schema_name(JSON_WITHOUT_NUL))
        .property("nip", nullable_string().description(Some("The NIP of the person presenting it")))
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .build();
    ArrayBuilder::new()
        .items(item)
        .min_items(Some(1))
        .max_items(Some(certificates::checking::MAX_ITEMS))
        .build()
}

/// The component name of [`json_without_nul`].
pub const JSON_WITHOUT_NUL: &str = "JsonWithoutNul";

/// Any JSON value with no NUL character in any string or key, at any depth: what the edge lets
/// through where a body carries a whole document (a credential presented for verification).
pub fn json_without_nul() -> Schema {
    use utoipa::openapi::Ref;
    use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder};
    let no_nul = || string("^[^\\u0000]*$".into(), None, "Text without NUL");
    let of = |t: Type| ObjectBuilder::new().schema_type(SchemaType::Type(t)).build();
    let array = ArrayBuilder::new().items(Ref::from_schema_name(JSON_WITHOUT_NUL)).build();
    let object = ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Object))
        .property_names(Some(no_nul()))
        .additional_properties(Some(AdditionalProperties::RefOr(
            Ref::from_schema_name(JSON_WITHOUT_NUL).into(),
        )))
        .build();
    Schema::OneOf(
        OneOfBuilder::new()
            .item(no_nul())
            .item(of(Type::Number))
            .item(of(Type::Boolean))
            .item(of(Type::Null))
            .item(array)
            .item(object)
            .description(Some(
                "A credential as downloaded: any JSON, without duplicate keys or NUL characters",
            ))
            .build(),
    )
}

/// An employment type with a JP requirement.
pub fn employment_type() -> Object {
    one_of(&["PNS", "PPPK"])
}

/// A module or question key, a topic slug (`course_delivery::is_valid_key`).
pub fn key() -> Object {
    string("^[A-Za-z0-9_-]{1,64}$".into(), Some(64), "Letters, digits, `-` and `_`")
}

/// A list of keys.
pub fn key_list() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new().items(key()).build()
}

/// A course code (`course_delivery::CourseCode`): upper-cased when stored.
pub fn course_code() -> Object {
    string("^[A-Za-z0-9_.-]{1,32}$".into(), Some(32), "Letters, digits, `-`, `_` and `.`")
}

/// A NIP's shape: 18 digits, a birth date, an appointment month and a gender digit
/// (`penkom_core::Nip`; a date that does not exist, such as 30 February, is refused with 422).
pub fn nip() -> Object {
    let year = "(19[0-9]{2}|20[0-9]{2}|2100)";
    let month = "(0[1-9]|1[0-2])";
    string(
        format!("^{year}{month}(0[1-9]|[12][0-9]|3[01]){year}{month}[12][0-9]{{3}}$"),
        Some(18),
        "NIP: 18 digits",
    )
}

/// `schema` or `null`, for an optional field that may also be sent as `null`.
pub fn or_null(mut schema: Object) -> Object {
    schema.schema_type = SchemaType::Array(vec![Type::String, Type::Null]);
    schema
}

/// An optional multi-line text of at most `MAX` characters, also `null`.
pub fn optional_text<const MAX: usize>() -> Object {
    or_null(text::<MAX>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn within(rs: &[(char, char)], c: char) -> bool {
        rs.iter().any(|&(a, b)| (a..=b).contains(&c))
    }

    #[test]
    fn refused_characters_are_the_domain_rule() {
        let multiline = refused_multiline();
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            assert_eq!(!within(REFUSED, c), penkom_core::text::allowed(c), "{c:?}");
            assert_eq!(!within(&multiline, c), penkom_core::text::allowed_multiline(c), "{c:?}");
            if !within(REFUSED, c) {
                assert_eq!(within(SPACES, c), c.is_whitespace(), "{c:?}: what trim removes");
            }
        }
    }

    #[test]
    fn trimmed_pattern_counts_like_trim() {
        let p = trimmed("A", "S", "V", 3, 500);
        assert_eq!(p, "^S*VA{1,498}VS*$");
        assert_eq!(trimmed("A", "S", "V", 1, 200), "^S*V(A{0,198}V)?S*$");
    }
}
