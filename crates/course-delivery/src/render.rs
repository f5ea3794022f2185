//! Markdown to safe HTML.

/// Renders Markdown to HTML and sanitises it: module bodies may contain raw HTML, and what
/// reaches a learner's browser must not run scripts, load frames or carry event handlers.
/// Links open with `rel="noopener noreferrer"`.
///
/// Headings move down one level (`#` becomes `<h2>`): the body sits on a page whose `<h1>` is
/// the module's title, and a screen reader's outline of the page must not show two titles.
pub fn markdown_to_safe_html(markdown: &str) -> String {
    use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};
    fn lower(level: HeadingLevel) -> HeadingLevel {
        match level {
            HeadingLevel::H1 => HeadingLevel::H2,
            HeadingLevel::H2 => HeadingLevel::H3,
            HeadingLevel::H3 => HeadingLevel::H4,
            HeadingLevel::H4 => HeadingLevel::H5,
            HeadingLevel::H5 | HeadingLevel::H6 => HeadingLevel::H6,
        }
    }
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_FOOTNOTES);
    let events = Parser::new_ext(markdown, options).map(|e| match e {
        Event::Start(Tag::Heading { level, id, classes, attrs }) => {
            Event::Start(Tag::Heading { level: lower(level), id, classes, attrs })
        }
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(lower(level))),
        other => other,
    });
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events);
    ammonia::Builder::default().link_rel(Some("noopener noreferrer")).clean(&raw).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown_and_strips_scripts() {
        let html = markdown_to_safe_html(
            "# Judul\n\nTeks **tebal**.\n\n<script>alert(1)</script>\n\n<a href=\"x\" onclick=\"evil()\">tautan</a>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert!(html.contains("<h2>Judul</h2>") && !html.contains("<h1"), "{html}");
        assert!(html.contains("<strong>tebal</strong>"));
        assert!(html.contains("<table>"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("onclick"));
        assert!(html.contains("noopener"));
    }
}
