//! Markdown to safe HTML.

/// Renders Markdown to HTML and sanitises it: module bodies may contain raw HTML, and what
/// reaches a learner's browser must not run scripts, load frames or carry event handlers.
/// Links open with `rel="noopener noreferrer"`.
pub fn markdown_to_safe_html(markdown: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_FOOTNOTES);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
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
        assert!(html.contains("<h1>Judul</h1>"));
        assert!(html.contains("<strong>tebal</strong>"));
        assert!(html.contains("<table>"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("onclick"));
        assert!(html.contains("noopener"));
    }
}
