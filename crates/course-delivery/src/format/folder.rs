//! Reading a folder of course folders.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{Problem, TextProblem, parse_course_toml, parse_module, parse_questions};
use crate::model::VersionSpec;
use crate::rules::{Locator, violations};

/// A course read from its folder, valid and ready to import.
#[derive(Debug, Clone)]
pub struct LoadedCourse {
    pub dir: PathBuf,
    pub spec: VersionSpec,
}

fn read(path: &Path, problems: &mut Vec<Problem>) -> Option<String> {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => Some(s),
            Err(_) => {
                problems.push(Problem {
                    file: path.into(),
                    line: None,
                    reason: "berkas harus berenkode UTF-8".into(),
                });
                None
            }
        },
        Err(e) => {
            problems.push(Problem {
                file: path.into(),
                line: None,
                reason: format!("tidak dapat dibaca: {e}"),
            });
            None
        }
    }
}

fn located(file: &Path, found: Vec<TextProblem>) -> impl Iterator<Item = Problem> + '_ {
    found.into_iter().map(move |p| Problem { file: file.to_path_buf(), line: p.line, reason: p.reason })
}

/// The line where `key = …` is written in a TOML text, for locating course-level problems.
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

/// Reads every course folder (a sub-folder with a `course.toml`) under `root`. Either every
/// course is valid, or the answer is every problem found, each with its file and line.
pub fn load_dir(root: &Path, minutes_per_jp: u32) -> Result<Vec<LoadedCourse>, Vec<Problem>> {
    let mut problems = Vec::new();
    let entries = match std::fs::read_dir(root) {
        Ok(e) => e,
        Err(e) => {
            return Err(vec![Problem {
                file: root.into(),
                line: None,
                reason: format!("folder tidak dapat dibaca: {e}"),
            }]);
        }
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("course.toml").is_file())
        .collect();
    dirs.sort();

    let mut courses = Vec::new();
    let mut codes: HashMap<String, PathBuf> = HashMap::new();
    for dir in dirs {
        let before = problems.len();
        if let Some(course) = load_course(&dir, minutes_per_jp, &mut problems) {
            let code = course.spec.meta.code.to_string();
            if let Some(first) = codes.get(&code) {
                let course_toml = dir.join("course.toml");
                let line = std::fs::read_to_string(&course_toml).ok().and_then(|t| line_of_key(&t, "code"));
                problems.push(Problem {
                    file: course_toml,
                    line,
                    reason: format!("kode kursus {code} sudah dipakai di {}", first.display()),
                });
            } else {
                codes.insert(code, dir.clone());
            }
            if problems.len() == before {
                courses.push(course);
            }
        }
    }
    if problems.is_empty() { Ok(courses) } else { Err(problems) }
}

fn load_course(dir: &Path, minutes_per_jp: u32, problems: &mut Vec<Problem>) -> Option<LoadedCourse> {
    let before = problems.len();
    let course_path = dir.join("course.toml");
    let course_text = read(&course_path, problems)?;
    let meta = parse_course_toml(&course_text).map_err(|p| problems.extend(located(&course_path, p))).ok();

    let mut module_files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|it| {
            it.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "md"))
                .filter(|p| !p.file_name().is_some_and(|n| n.eq_ignore_ascii_case("README.md")))
                .collect()
        })
        .unwrap_or_default();
    module_files.sort();
    let mut modules = Vec::new();
    let mut module_paths = HashMap::new();
    for path in &module_files {
        let key = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        let Some(text) = read(path, problems) else { continue };
        match parse_module(&key, &text) {
            Ok(m) => {
                module_paths.insert(key, path.clone());
                modules.push(m);
            }
            Err(p) => problems.extend(located(path, p)),
        }
    }

    let questions_path = dir.join("questions.toml");
    let bank = if questions_path.is_file() {
        let text = read(&questions_path, problems)?;
        parse_questions(&text).map_err(|p| problems.extend(located(&questions_path, p))).ok()
    } else {
        problems.push(Problem {
            file: questions_path.clone(),
            line: None,
            reason: "bank soal post-test (questions.toml) tidak ada".into(),
        });
        None
    };

    let (meta, (questions, question_lines)) = (meta?, bank?);
    if problems.len() > before {
        return None;
    }
    let mut spec = VersionSpec { meta, modules, questions };
    spec.normalize();
    for violation in violations(&spec, minutes_per_jp) {
        let (file, line) = match &violation.at {
            Locator::Course("modules") => (dir.to_path_buf(), None),
            Locator::Course(field) => (course_path.clone(), line_of_key(&course_text, field)),
            Locator::Module(key) => {
                (module_paths.get(key).cloned().unwrap_or_else(|| dir.to_path_buf()), Some(1))
            }
            Locator::Question(key) => (questions_path.clone(), question_lines.get(key).copied()),
        };
        problems.push(Problem { file, line, reason: violation.reason });
    }
    (problems.len() == before).then(|| LoadedCourse { dir: dir.to_path_buf(), spec })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    pub fn good_course(root: &Path, folder: &str, code: &str) -> PathBuf {
        let dir = root.join(folder);
        std::fs::create_dir_all(&dir).unwrap();
        write(
            &dir,
            "course.toml",
            &format!(
                "code = \"{code}\"\ntitle = \"Uji\"\ndescription = \"D\"\ntopic = \"uji\"\norganiser = \"BKPSDM\"\njp = \"1\"\n\n[post_test]\npass_mark = 70\nattempt_limit = 2\ntime_limit_minutes = 10\nquestions_per_attempt = 2\n"
            ),
        );
        write(&dir, "01-a.md", "+++\ntitle = \"A\"\norder = 1\nmin_engaged_minutes = 30\n+++\nIsi A\n");
        write(&dir, "02-b.md", "+++\ntitle = \"B\"\norder = 2\nmin_engaged_minutes = 15\n+++\nIsi B\n");
        write(
            &dir,
            "questions.toml",
            "[[questions]]\nid = \"q1\"\ntype = \"true_false\"\ntext = \"T?\"\nanswer = true\n\n[[questions]]\nid = \"q2\"\ntype = \"single_choice\"\ntext = \"S?\"\noptions = [{ text = \"a\", correct = true }, { text = \"b\" }]\n",
        );
        dir
    }

    #[test]
    fn loads_valid_courses_and_skips_other_folders() {
        let root = tempfile::tempdir().unwrap();
        good_course(root.path(), "a", "A-1");
        good_course(root.path(), "b", "B-1");
        std::fs::create_dir(root.path().join("images")).unwrap();
        write(root.path(), "README.md", "# not a course");
        let courses = load_dir(root.path(), 45).unwrap();
        assert_eq!(courses.len(), 2);
        assert_eq!(courses[0].spec.modules.len(), 2);
        assert_eq!(courses[0].spec.questions.len(), 2);
    }

    #[test]
    fn reports_each_kind_of_problem_with_file_and_line() {
        let root = tempfile::tempdir().unwrap();
        good_course(root.path(), "a", "A-1");
        good_course(root.path(), "b", "A-1");
        let short = good_course(root.path(), "c", "C-1");
        write(&short, "02-b.md", "+++\ntitle = \"B\"\norder = 2\nmin_engaged_minutes = 5\n+++\nIsi B\n");
        let broken = good_course(root.path(), "d", "D-1");
        write(&broken, "course.toml", "code = \"D-1\"\ntitle = [\n");
        let no_key = good_course(root.path(), "e", "E-1");
        write(
            &no_key,
            "questions.toml",
            "[[questions]]\nid = \"q1\"\ntype = \"true_false\"\ntext = \"T?\"\nanswer = true\n\n[[questions]]\nid = \"q2\"\ntype = \"single_choice\"\ntext = \"S?\"\noptions = [{ text = \"a\" }, { text = \"b\" }]\n",
        );
        let no_modules = good_course(root.path(), "f", "F-1");
        std::fs::remove_file(no_modules.join("01-a.md")).unwrap();
        std::fs::remove_file(no_modules.join("02-b.md")).unwrap();
        let no_bank = good_course(root.path(), "g", "G-1");
        std::fs::remove_file(no_bank.join("questions.toml")).unwrap();

        let problems = load_dir(root.path(), 45).unwrap_err();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        let has = |file: &str, line: Option<usize>, needle: &str| {
            problems.iter().any(|p| p.file.ends_with(file) && p.line == line && p.reason.contains(needle))
        };
        assert!(has("b/course.toml", Some(1), "sudah dipakai"), "duplicate code: {text:#?}");
        assert!(has("c/course.toml", Some(6), "kurang 10 menit"), "JP shortfall: {text:#?}");
        assert!(has("d/course.toml", Some(2), "TOML tidak valid"), "bad TOML: {text:#?}");
        assert!(has("e/questions.toml", Some(7), "tepat satu"), "no correct option: {text:#?}");
        assert!(
            problems.iter().any(|p| p.file.ends_with("f") && p.reason.contains("minimal satu modul")),
            "{text:#?}"
        );
        assert!(has("g/questions.toml", None, "tidak ada"), "missing bank: {text:#?}");
        assert!(
            !problems.iter().any(|p| p.file.starts_with(root.path().join("a"))),
            "the good course is clean"
        );
    }
}
