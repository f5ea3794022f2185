//! Certificate numbers from a configurable template, e.g. `{seq}/PENKOM/BKPSDM/{year}`.
//!
//! `{seq}` counts certificates within the year (1, 2, 3, …), `{seq:N}` pads it to N digits,
//! and `{year}` is the year of completion in the local time zone. Both are required: without
//! `{seq}` every certificate of a year would share a number, and without `{year}` the numbers
//! of one year would repeat the next.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberTemplate(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the certificate number template must contain {{seq}} and {{year}}")]
    NoSeq,
    #[error("unknown placeholder {{{0}}} in the certificate number template")]
    Unknown(String),
}

enum Piece<'a> {
    Text(&'a str),
    Seq(usize),
    Year,
}

fn pieces(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push(Piece::Text(&rest[..open]));
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or_else(|| TemplateError::Unknown(rest[open..].to_string()))?;
        let name = &rest[open + 1..close];
        out.push(match name.split_once(':') {
            None if name == "seq" => Piece::Seq(0),
            None if name == "year" => Piece::Year,
            Some(("seq", width)) => Piece::Seq(
                width.parse().ok().filter(|w| *w <= 12).ok_or_else(|| TemplateError::Unknown(name.into()))?,
            ),
            _ => return Err(TemplateError::Unknown(name.into())),
        });
        rest = &rest[close + 1..];
    }
    out.push(Piece::Text(rest));
    Ok(out)
}

impl NumberTemplate {
    pub fn parse(template: &str) -> Result<Self, TemplateError> {
        let parsed = pieces(template)?;
        // `{seq}` restarts every year, so without `{year}` next year's numbers would repeat.
        if !parsed.iter().any(|p| matches!(p, Piece::Seq(_)))
            || !parsed.iter().any(|p| matches!(p, Piece::Year))
        {
            return Err(TemplateError::NoSeq);
        }
        Ok(Self(template.to_string()))
    }

    pub fn render(&self, seq: i64, year: i32) -> String {
        // Parsed once at construction, so the pieces are valid here.
        pieces(&self.0)
            .unwrap_or_default()
            .into_iter()
            .map(|p| match p {
                Piece::Text(t) => t.to_string(),
                Piece::Seq(width) => format!("{seq:0width$}"),
                Piece::Year => year.to_string(),
            })
            .collect()
    }
}

impl Default for NumberTemplate {
    fn default() -> Self {
        Self("{seq}/PENKOM/BKPSDM/{year}".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_refuses_bad_templates() {
        assert_eq!(NumberTemplate::default().render(7, 2026), "7/PENKOM/BKPSDM/2026");
        let t = NumberTemplate::parse("800/{seq:5}/BKPSDM-{year}").unwrap();
        assert_eq!(t.render(42, 2027), "800/00042/BKPSDM-2027");
        assert_eq!(NumberTemplate::parse("PENKOM/{year}"), Err(TemplateError::NoSeq));
        assert_eq!(NumberTemplate::parse("{seq}/PENKOM"), Err(TemplateError::NoSeq));
        assert!(matches!(NumberTemplate::parse("{seq}/{month}"), Err(TemplateError::Unknown(_))));
        assert!(NumberTemplate::parse("{seq").is_err());
    }
}
