//! Checking saved answers and grading an attempt.
//!
//! Grading is exact: every question's credit is a whole number of [`UNIT`]ths, and `UNIT` is
//! divisible by every denominator partial credit can produce (a question has at most eight
//! options, so at most 16 = 4 × 4 in `correct × wrong`). The score is rounded down, so a learner
//! is never passed by rounding.

use std::collections::{BTreeSet, HashMap};

use course_delivery::{AnswerOption, QuestionKind, Scoring};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::layout::{Answers, Shown, label};

/// The least common multiple of 1..=16.
const UNIT: u64 = 720_720;

/// What grading needs of a bank question.
#[derive(Debug, Clone)]
pub struct Key {
    pub kind: QuestionKind,
    pub options: Vec<AnswerOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("soal {0} tidak ada dalam percobaan ini")]
    UnknownQuestion(Uuid),
    #[error("pilihan \"{label}\" tidak ada pada soal {question}")]
    UnknownOption { question: Uuid, label: String },
    #[error("soal {0} hanya menerima satu pilihan")]
    OneOptionOnly(Uuid),
    #[error("pilihan ganda pada soal {0}")]
    Duplicate(Uuid),
}

/// Checks `answers` against the attempt's `layout`: known questions, known labels, no label
/// twice, and at most one label for single-choice and true/false questions.
pub fn validate(layout: &[Shown], keys: &HashMap<Uuid, Key>, answers: &Answers) -> Result<(), AnswerError> {
    for (question, labels) in answers {
        let shown = layout
            .iter()
            .find(|s| s.question_id == *question)
            .ok_or(AnswerError::UnknownQuestion(*question))?;
        let one_only = keys.get(question).is_some_and(|k| k.kind != QuestionKind::MultipleChoice);
        if one_only && labels.len() > 1 {
            return Err(AnswerError::OneOptionOnly(*question));
        }
        let mut seen = BTreeSet::new();
        for l in labels {
            if !(0..shown.options.len()).any(|i| label(i) == *l) {
                return Err(AnswerError::UnknownOption { question: *question, label: l.clone() });
            }
            if !seen.insert(l) {
                return Err(AnswerError::Duplicate(*question));
            }
        }
    }
    Ok(())
}

/// The grade of one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionGrade {
    pub question_id: Uuid,
    /// Credit in millionths of the question (rounded down), for display and review.
    pub credit_millionths: u64,
}

/// The grade of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grade {
    /// 0–100, rounded down.
    pub score: u8,
    pub passed: bool,
    pub questions: Vec<QuestionGrade>,
}

/// An attempt's grade as stored with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Graded {
    pub questions: Vec<QuestionGrade>,
}

/// Credit for one question in `UNIT`ths, given the bank option ids chosen.
fn credit(key: &Key, chosen: &BTreeSet<&str>, scoring: Scoring) -> u64 {
    let correct: BTreeSet<&str> = key.options.iter().filter(|o| o.correct).map(|o| o.id.as_str()).collect();
    let exact = u64::from(*chosen == correct && !correct.is_empty()) * UNIT;
    if key.kind != QuestionKind::MultipleChoice || scoring == Scoring::AllOrNothing {
        return exact;
    }
    // Partial credit: each right choice earns 1/c, each wrong choice costs 1/w, never below 0.
    let c = correct.len() as u64;
    let w = key.options.len() as u64 - c;
    let hits = chosen.iter().filter(|id| correct.contains(*id)).count() as u64;
    let misses = chosen.len() as u64 - hits;
    // No right option (refused at publishing) earns nothing; no wrong option costs nothing.
    let earned = UNIT.checked_div(c).map_or(0, |per| hits * per);
    let lost = UNIT.checked_div(w).map_or(0, |per| misses * per);
    earned.saturating_sub(lost)
}

/// Grades `answers` to the questions in `layout`. A question whose key is missing (it cannot
/// be, for a published version) earns nothing.
pub fn grade(
    layout: &[Shown],
    keys: &HashMap<Uuid, Key>,
    answers: &Answers,
    scoring: Scoring,
    pass_mark: u32,
) -> Grade {
    let mut total = 0u64;
    let mut questions = Vec::with_capacity(layout.len());
    for shown in layout {
        let chosen: BTreeSet<&str> = answers
            .get(&shown.question_id)
            .into_iter()
            .flatten()
            .filter_map(|l| {
                (0..shown.options.len()).find(|i| label(*i) == *l).map(|i| shown.options[i].as_str())
            })
            .collect();
        let points = keys.get(&shown.question_id).map_or(0, |k| credit(k, &chosen, scoring));
        total += points;
        questions.push(QuestionGrade {
            question_id: shown.question_id,
            credit_millionths: points * 1_000_000 / UNIT,
        });
    }
    let score = if layout.is_empty() { 0 } else { total * 100 / (layout.len() as u64 * UNIT) };
    let score = u8::try_from(score.min(100)).unwrap_or(100);
    Grade { score, passed: u32::from(score) >= pass_mark, questions }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(kind: QuestionKind, correct: &[bool]) -> Key {
        Key {
            kind,
            options: correct
                .iter()
                .enumerate()
                .map(|(i, c)| AnswerOption { id: (i + 1).to_string(), text: format!("o{i}"), correct: *c })
                .collect(),
        }
    }

    fn q(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// A layout showing options in reverse bank order, so labels and ids never coincide.
    fn layout(keys: &[(Uuid, Key)]) -> Vec<Shown> {
        keys.iter()
            .map(|(id, k)| Shown {
                question_id: *id,
                options: k.options.iter().rev().map(|o| o.id.clone()).collect(),
            })
            .collect()
    }

    fn answers(pairs: &[(Uuid, &[&str])]) -> Answers {
        pairs.iter().map(|(q, ls)| (*q, ls.iter().map(|s| s.to_string()).collect())).collect()
    }

    #[test]
    fn grades_each_kind_through_the_shown_labels() {
        let bank = vec![
            (q(1), key(QuestionKind::SingleChoice, &[true, false, false, false])),
            (q(2), key(QuestionKind::TrueFalse, &[false, true])),
            (q(3), key(QuestionKind::MultipleChoice, &[true, true, false, false])),
        ];
        let shown = layout(&bank);
        let keys: HashMap<Uuid, Key> = bank.into_iter().collect();
        // Reversed: bank option 1 of q1 shows as D; option 2 of q2 as A; options 1, 2 of q3 as D, C.
        let all_right = answers(&[(q(1), &["D"]), (q(2), &["A"]), (q(3), &["C", "D"])]);
        let g = grade(&shown, &keys, &all_right, Scoring::AllOrNothing, 70);
        assert_eq!((g.score, g.passed), (100, true));
        let half = answers(&[(q(1), &["D"]), (q(2), &["B"]), (q(3), &["D"])]);
        assert_eq!(grade(&shown, &keys, &half, Scoring::AllOrNothing, 70).score, 33);
        // Partial credit: half of q3 (one of two right, no wrong choice).
        assert_eq!(grade(&shown, &keys, &half, Scoring::Partial, 70).score, 50);
        let g = grade(&shown, &keys, &Answers::new(), Scoring::Partial, 70);
        assert_eq!((g.score, g.passed), (0, false));
    }

    #[test]
    fn partial_credit_subtracts_wrong_choices_but_never_below_zero() {
        let k = key(QuestionKind::MultipleChoice, &[true, true, false, false]);
        let chosen = |ids: &[&'static str]| ids.iter().copied().collect::<BTreeSet<&str>>();
        assert_eq!(credit(&k, &chosen(&["1", "3"]), Scoring::Partial), 0);
        assert_eq!(credit(&k, &chosen(&["1", "2", "3"]), Scoring::Partial), UNIT / 2);
        assert_eq!(
            credit(&k, &chosen(&["1", "2", "3", "4"]), Scoring::Partial),
            0,
            "choosing all earns nothing"
        );
        assert_eq!(credit(&k, &chosen(&["3", "4"]), Scoring::Partial), 0);
    }

    #[test]
    fn scores_round_down_exactly() {
        let bank: Vec<(Uuid, Key)> =
            (1..=3).map(|i| (q(i), key(QuestionKind::MultipleChoice, &[true, true, true, false]))).collect();
        let shown = layout(&bank);
        let keys: HashMap<Uuid, Key> = bank.into_iter().collect();
        // Every question fully right: 3 × 1/3 + ... must give exactly 100, not 99.
        let a = answers(&[(q(1), &["B", "C", "D"]), (q(2), &["B", "C", "D"]), (q(3), &["B", "C", "D"])]);
        assert_eq!(grade(&shown, &keys, &a, Scoring::Partial, 100).score, 100);
        // One third of each: 33 (33.33… rounded down).
        let a = answers(&[(q(1), &["B"]), (q(2), &["C"]), (q(3), &["D"])]);
        assert_eq!(grade(&shown, &keys, &a, Scoring::Partial, 34).score, 33);
        assert!(!grade(&shown, &keys, &a, Scoring::Partial, 34).passed);
    }

    #[test]
    fn validation_names_the_problem() {
        let bank = vec![
            (q(1), key(QuestionKind::SingleChoice, &[true, false, false])),
            (q(2), key(QuestionKind::MultipleChoice, &[true, true, false])),
        ];
        let shown = layout(&bank);
        let keys: HashMap<Uuid, Key> = bank.into_iter().collect();
        assert_eq!(validate(&shown, &keys, &answers(&[(q(1), &["A"]), (q(2), &["A", "C"])])), Ok(()));
        assert_eq!(
            validate(&shown, &keys, &answers(&[(q(9), &["A"])])),
            Err(AnswerError::UnknownQuestion(q(9)))
        );
        assert_eq!(
            validate(&shown, &keys, &answers(&[(q(1), &["A", "B"])])),
            Err(AnswerError::OneOptionOnly(q(1)))
        );
        assert!(matches!(
            validate(&shown, &keys, &answers(&[(q(1), &["D"])])),
            Err(AnswerError::UnknownOption { .. })
        ));
        assert_eq!(
            validate(&shown, &keys, &answers(&[(q(2), &["A", "A"])])),
            Err(AnswerError::Duplicate(q(2)))
        );
    }

    fn arb_question() -> impl Strategy<Value = (Key, Vec<bool>)> {
        (2usize..=8)
            .prop_flat_map(|n| {
                (proptest::collection::vec(any::<bool>(), n), proptest::collection::vec(any::<bool>(), n))
            })
            .prop_filter("at least one correct option", |(c, _)| c.iter().any(|b| *b))
            .prop_map(|(c, chosen)| (key(QuestionKind::MultipleChoice, &c), chosen))
    }

    proptest! {
        #[test]
        fn scores_stay_in_range_and_partial_never_below_all_or_nothing(
            qs in proptest::collection::vec(arb_question(), 1..12),
        ) {
            let bank: Vec<(Uuid, Key)> = qs.iter().enumerate().map(|(i, (k, _))| (q(i as u128), k.clone())).collect();
            let shown = layout(&bank);
            let mut a = Answers::new();
            for (i, (_, chosen)) in qs.iter().enumerate() {
                let n = chosen.len();
                a.insert(q(i as u128), (0..n).filter(|j| chosen[*j]).map(label).collect());
            }
            let keys: HashMap<Uuid, Key> = bank.into_iter().collect();
            let strict = grade(&shown, &keys, &a, Scoring::AllOrNothing, 70);
            let partial = grade(&shown, &keys, &a, Scoring::Partial, 70);
            prop_assert!(strict.score <= 100 && partial.score <= 100);
            prop_assert!(partial.score >= strict.score);
            // Answering exactly the key scores 100 under both rules.
            let mut right = Answers::new();
            for s in &shown {
                let k = &keys[&s.question_id];
                let labels = s.options.iter().enumerate()
                    .filter(|(_, id)| k.options.iter().any(|o| o.id == **id && o.correct))
                    .map(|(i, _)| label(i)).collect();
                right.insert(s.question_id, labels);
            }
            prop_assert_eq!(grade(&shown, &keys, &right, Scoring::AllOrNothing, 100).score, 100);
            prop_assert_eq!(grade(&shown, &keys, &right, Scoring::Partial, 100).score, 100);
        }
    }
}
