//! Choosing and ordering an attempt's questions.
//!
//! Each attempt draws its questions at random from the version's bank and shuffles the options
//! of each. Options are shown under per-attempt labels (`A`, `B`, …) in shown order, never
//! under their ids in the bank: an id is the option's position as written, and authors tend to
//! put the right answer first, so a stable id would leak a hint across attempts.

use std::collections::BTreeMap;

use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One question as an attempt shows it: the bank question and its option ids in shown order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shown {
    pub question_id: Uuid,
    /// Bank option ids, in the order shown; the option at index `i` carries label `label(i)`.
    pub options: Vec<String>,
}

/// Saved answers: question id → chosen labels.
pub type Answers = BTreeMap<Uuid, Vec<String>>;

/// The label of the option shown at `index`: `A`, `B`, … (a bank question has at most eight).
pub fn label(index: usize) -> String {
    char::from(b'A' + u8::try_from(index % 26).unwrap_or(0)).to_string()
}

/// Draws `count` questions (all of them if the bank is smaller) from `bank` (question id and
/// its option ids), in random order, each with its options shuffled.
pub fn pick<R: Rng + ?Sized>(bank: &[(Uuid, Vec<String>)], count: usize, rng: &mut R) -> Vec<Shown> {
    let mut chosen: Vec<&(Uuid, Vec<String>)> = bank.iter().collect();
    chosen.shuffle(rng);
    chosen.truncate(count);
    chosen
        .into_iter()
        .map(|(id, options)| {
            let mut options = options.clone();
            options.shuffle(rng);
            Shown { question_id: *id, options }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn bank(n: usize) -> Vec<(Uuid, Vec<String>)> {
        (0..n).map(|i| (Uuid::from_u128(i as u128 + 1), (1..=4).map(|o| o.to_string()).collect())).collect()
    }

    #[test]
    fn labels_are_letters() {
        assert_eq!((0..4).map(label).collect::<Vec<_>>(), ["A", "B", "C", "D"]);
    }

    #[test]
    fn attempts_differ_in_order() {
        let b = bank(15);
        let mut rng = StdRng::seed_from_u64(7);
        let first = pick(&b, 10, &mut rng);
        let orders: Vec<Vec<Shown>> = (0..5).map(|_| pick(&b, 10, &mut rng)).collect();
        assert!(orders.iter().any(|o| *o != first), "five more draws all equal the first");
    }

    proptest! {
        #[test]
        fn draws_distinct_questions_and_keeps_every_option(n in 1usize..30, count in 0usize..40, seed in any::<u64>()) {
            let b = bank(n);
            let shown = pick(&b, count, &mut StdRng::seed_from_u64(seed));
            prop_assert_eq!(shown.len(), count.min(n));
            let mut ids: Vec<Uuid> = shown.iter().map(|s| s.question_id).collect();
            ids.sort();
            ids.dedup();
            prop_assert_eq!(ids.len(), shown.len());
            for s in &shown {
                let mut o = s.options.clone();
                o.sort();
                prop_assert_eq!(o, vec!["1", "2", "3", "4"]);
            }
        }
    }
}
