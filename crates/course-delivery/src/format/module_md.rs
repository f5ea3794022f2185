//! A module file: TOML front matter between `+++` lines, then the Markdown body.

use serde::Deserialize;

use super::{TextProblem, toml_problem};
use crate::model::{ModuleSpec, Video};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModule {
    title: String,
    order: u32,
    min_engaged_minutes: u32,
    #[serde(default = "yes")]
    required: bool,
    video: Option<RawVideo>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVideo {
    url: String,
    duration_minutes: u32,
}

fn at(line: usize, reason: &str) -> Vec<TextProblem> {
    vec![TextProblem { line: Some(line), reason: reason.to_string() }]
}

/// Parses a module file whose stem (file name without `.md`) is `key`.
pub fn parse_module(key: &str, text: &str) -> Result<ModuleSpec, Vec<TextProblem>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "+++" {
        return Err(at(1, "front matter harus diawali baris +++"));
    }
    let mut front = String::new();
    let mut body_start = None;
    let mut offset = first.len();
    for line in lines {
        offset += line.len();
        if line.trim_end() == "+++" {
            body_start = Some(offset);
            break;
        }
        front.push_str(line);
    }
    let Some(body_start) = body_start else {
        return Err(at(1, "front matter tidak ditutup dengan baris +++"));
    };
    // The front matter starts on line 2 of the file.
    let raw: RawModule = toml::from_str(&front).map_err(|e| vec![toml_problem(&front, &e, 1)])?;
    Ok(ModuleSpec {
        key: key.to_string(),
        title: raw.title.trim().to_string(),
        order: raw.order,
        min_engaged_minutes: raw.min_engaged_minutes,
        required: raw.required,
        body_markdown: text[body_start..].trim().to_string(),
        video: raw
            .video
            .map(|v| Video { url: v.url.trim().to_string(), duration_minutes: v.duration_minutes }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_front_matter_and_body() {
        let m = parse_module(
            "01-a",
            "+++\ntitle = \"Pengantar\"\norder = 1\nmin_engaged_minutes = 30\n[video]\nurl = \"https://v.go.id/a.mp4\"\nduration_minutes = 12\n+++\n\n# Pengantar\n\nIsi.\n",
        )
        .unwrap();
        assert_eq!(m.title, "Pengantar");
        assert!(m.required);
        assert_eq!(m.body_markdown, "# Pengantar\n\nIsi.");
        assert_eq!(m.video.unwrap().duration_minutes, 12);
    }

    #[test]
    fn problems_have_file_lines() {
        assert_eq!(parse_module("a", "# no front matter").unwrap_err()[0].line, Some(1));
        assert!(parse_module("a", "+++\ntitle = \"x\"\n").unwrap_err()[0].reason.contains("ditutup"));
        let p = parse_module(
            "a",
            "+++\ntitle = \"x\"\norder = 1\nmin_engaged_minutes = \"tiga puluh\"\n+++\nIsi",
        )
        .unwrap_err();
        assert_eq!(p[0].line, Some(4), "{p:?}");
        let p = parse_module("a", "+++\ntitle = \"x\"\norder = 1\n+++\nIsi").unwrap_err();
        assert!(p[0].reason.contains("min_engaged_minutes"), "{p:?}");
    }
}
