use super::*;
use crate::document::authorship::{Runs, inserted_len};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

/// A document as the log sees it, with one editor's stacks per user: what the service does
/// with every committed op, without the service.
struct Session {
    text: String,
    authors: Runs,
    stacks: Vec<(u128, Stacks)>,
    clock: DateTime<Utc>,
}

fn author(user: u128) -> Author {
    Author {
        user_id: Uuid::from_u128(user),
        session_id: Uuid::from_u128(100 + user),
        client_id: Uuid::from_u128(200 + user),
        seq: 0,
    }
}

const ALICE: u128 = 1;
const BOB: u128 = 2;

impl Session {
    fn new(text: &str) -> Self {
        Self {
            text: text.into(),
            authors: Runs::uniform(text.chars().count(), Uuid::nil()),
            stacks: vec![(ALICE, Stacks::new(0, 100)), (BOB, Stacks::new(0, 100))],
            clock: DateTime::from_timestamp(1_000_000, 0).unwrap(),
        }
    }

    /// Moves the clock on by `ms` (so keystrokes group or not).
    fn wait(&mut self, ms: i64) -> &mut Self {
        self.clock += Duration::milliseconds(ms);
        self
    }

    fn commit(&mut self, user: u128, op: Operation, kind: Kind, inserted: Runs) {
        let deleted = self.authors.apply(&op, &inserted).unwrap();
        let inverse = Inverse {
            op: op.invert(&self.text).unwrap(),
            authors: deleted,
        };
        let who = author(user);
        let record = Record {
            op: &op,
            author: &who,
            kind,
            inverse: Some(&inverse),
            at: self.clock,
        };
        for (owner, stacks) in &mut self.stacks {
            stacks.observe(record, *owner == user);
        }
        self.text = op.apply(&self.text).unwrap();
    }

    /// `user` replaces `deleted` code points at `at` with `inserted`.
    fn edit(&mut self, user: u128, at: usize, deleted: usize, inserted: &str) -> &mut Self {
        let op = Operation::splice(self.text.chars().count(), at, deleted, inserted).unwrap();
        let runs = Runs::uniform(inserted_len(&op), Uuid::from_u128(user));
        self.commit(user, op, Kind::Edit, runs);
        self.wait(5_000)
    }

    fn stacks(&self, user: u128) -> &Stacks {
        &self.stacks.iter().find(|(u, _)| *u == user).unwrap().1
    }

    /// `user` undoes (or redoes); false if there was nothing to.
    fn act(&mut self, user: u128, action: Action) -> bool {
        let Some(step) = self
            .stacks(user)
            .peek(action, DateTime::<Utc>::MIN_UTC)
            .cloned()
        else {
            return false;
        };
        self.commit(user, step.op, action.kind(), step.authors);
        self.wait(5_000);
        true
    }

    fn undo(&mut self, user: u128) -> bool {
        self.act(user, Action::Undo)
    }

    fn redo(&mut self, user: u128) -> bool {
        self.act(user, Action::Redo)
    }

    fn author_at(&self, index: usize) -> Uuid {
        self.authors
            .spans()
            .find(|(start, end, _)| (*start..*end).contains(&index))
            .unwrap()
            .2
    }
}

#[test]
fn undoing_twice_after_two_deletes_restores_the_original_text() {
    // On `abcde`: delete `b`, delete `acd`, undo, undo. Inverting each op and transforming
    // it through everything after it gives `acdbe`; the stacks give `abcde`.
    let mut s = Session::new("abcde");
    s.edit(ALICE, 1, 1, "");
    assert_eq!(s.text, "acde");
    s.edit(ALICE, 0, 3, "");
    assert_eq!(s.text, "e");
    assert!(s.undo(ALICE));
    assert_eq!(s.text, "acde");
    assert!(s.undo(ALICE));
    assert_eq!(s.text, "abcde");
    assert!(!s.undo(ALICE));
}

#[test]
fn alice_undoing_removes_only_her_text_when_bob_typed_elsewhere() {
    let mut s = Session::new("one two");
    s.edit(ALICE, 3, 0, " and a half");
    s.edit(BOB, 18, 0, " three");
    assert_eq!(s.text, "one and a half two three");
    assert!(s.undo(ALICE));
    assert_eq!(s.text, "one two three");
}

#[test]
fn bobs_text_inside_alices_change_stays_when_she_undoes_it() {
    let mut s = Session::new("");
    s.edit(ALICE, 0, 0, "hello world");
    s.edit(BOB, 5, 0, " big");
    assert_eq!(s.text, "hello big world");
    assert!(s.undo(ALICE));
    assert_eq!(s.text, " big");
}

#[test]
fn an_undo_of_text_others_deleted_is_nothing_to_undo() {
    let mut s = Session::new("keep ");
    s.edit(ALICE, 5, 0, "mine");
    s.edit(BOB, 5, 4, "");
    assert_eq!(s.text, "keep ");
    assert!(!s.undo(ALICE), "nothing of alice's change is left to undo");
    assert_eq!(s.text, "keep ");
}

#[test]
fn redo_puts_back_what_undo_took_and_a_new_change_clears_it() {
    let mut s = Session::new("a");
    s.edit(ALICE, 1, 0, "b");
    s.edit(ALICE, 2, 0, "c");
    assert!(s.undo(ALICE));
    assert!(s.undo(ALICE));
    assert_eq!(s.text, "a");
    assert!(s.redo(ALICE));
    assert_eq!(s.text, "ab");
    s.edit(BOB, 0, 0, ">");
    assert!(s.redo(ALICE));
    assert_eq!(s.text, ">abc");
    assert!(!s.redo(ALICE));
    assert!(s.undo(ALICE));
    s.edit(ALICE, 0, 0, "x");
    assert!(!s.redo(ALICE), "a new change clears the redo stack");
}

#[test]
fn text_put_back_by_an_undo_goes_back_to_its_author() {
    let mut s = Session::new("");
    s.edit(BOB, 0, 0, "bob's");
    s.edit(ALICE, 0, 5, "");
    assert_eq!(s.text, "");
    assert!(s.undo(ALICE));
    assert_eq!(s.text, "bob's");
    assert!((0..5).all(|i| s.author_at(i) == Uuid::from_u128(BOB)));
}

#[test]
fn keystrokes_in_quick_succession_are_one_step_and_a_pause_or_newline_starts_another() {
    let mut s = Session::new("");
    for (i, c) in "word".chars().enumerate() {
        s.edit(ALICE, i, 0, &c.to_string()).wait(-4_800);
    }
    s.wait(2_000);
    s.edit(ALICE, 4, 0, " next").wait(-4_800);
    s.edit(ALICE, 9, 0, "\nline").wait(-4_800);
    assert_eq!(s.stacks(ALICE).depths().0, 3);
    assert!(s.undo(ALICE));
    assert_eq!(s.text, "word next");
    assert!(s.undo(ALICE));
    assert_eq!(s.text, "word");
    assert!(s.undo(ALICE));
    assert_eq!(s.text, "");
}

#[test]
fn backspacing_groups_and_undo_restores_in_order() {
    let mut s = Session::new("abcdef");
    for at in (3..6).rev() {
        s.edit(ALICE, at, 1, "").wait(-4_800);
    }
    assert_eq!(s.text, "abc");
    assert_eq!(s.stacks(ALICE).depths().0, 1);
    assert!(s.undo(ALICE));
    assert_eq!(s.text, "abcdef");
}

#[test]
fn a_jump_elsewhere_starts_a_new_step() {
    let mut s = Session::new("0123456789");
    s.edit(ALICE, 2, 0, "a").wait(-4_800);
    s.edit(ALICE, 8, 0, "b").wait(-4_800);
    assert_eq!(s.stacks(ALICE).depths().0, 2);
}

#[test]
fn the_stacks_keep_at_most_their_depth() {
    let mut s = Session::new("");
    s.stacks = vec![(ALICE, Stacks::new(0, 3))];
    for i in 0..10 {
        s.edit(ALICE, i, 0, "x");
    }
    assert_eq!(s.stacks(ALICE).depths().0, 3);
}

/// For random concurrent sessions, undoing every change of one user in reverse order
/// removes exactly that user's surviving insertions and restores what they deleted, when
/// nobody else touched those ranges. Alice edits only before a `|` that nobody deletes and
/// Bob only after it.
#[test]
fn undoing_all_of_one_users_changes_restores_their_part_and_keeps_the_others() {
    for seed in 0..300 {
        let mut rng = StdRng::seed_from_u64(seed);
        let original_left = "left side";
        let mut s = Session::new(&format!("{original_left}|right side"));
        let mut alice_steps = 0;
        for _ in 0..rng.random_range(1..30) {
            let bar = s.text.chars().position(|c| c == '|').unwrap();
            let len = s.text.chars().count();
            let inserted: String = (0..rng.random_range(0..3))
                .map(|_| ['x', '🦀', 'é', '\n'][rng.random_range(0..4)])
                .collect();
            if rng.random_bool(0.5) {
                let at = rng.random_range(0..=bar);
                let deleted = rng.random_range(0..=(bar - at).min(3));
                s.edit(ALICE, at, deleted, &inserted);
                alice_steps += 1;
            } else {
                let at = rng.random_range(bar + 1..=len);
                let deleted = rng.random_range(0..=(len - at).min(3));
                s.edit(BOB, at, deleted, &inserted);
            }
            // Sometimes quick enough to group.
            s.wait(-rng.random_range(0..5_000));
        }
        let bob_side: String = s.text.split_once('|').unwrap().1.to_owned();
        let mut undone = 0;
        while s.undo(ALICE) {
            undone += 1;
            assert!(
                undone <= alice_steps,
                "seed {seed}: more undos than changes"
            );
        }
        assert_eq!(
            s.text,
            format!("{original_left}|{bob_side}"),
            "seed {seed}: undoing all of alice's changes"
        );
        assert_eq!(s.authors.len(), s.text.chars().count());
    }
}

#[test]
fn a_clients_own_undo_is_recognised_as_the_top_steps_taken_together() {
    let mut s = Session::new("");
    s.edit(ALICE, 0, 0, "one").edit(ALICE, 3, 0, " two");
    assert_eq!(s.stacks(ALICE).depths(), (2, 0));
    // A client that grouped both into one step undoes them at once…
    let both = Operation::splice(7, 0, 7, "").unwrap();
    assert!(s.stacks(ALICE).recognise(Action::Undo, &both).is_some());
    // …or only the newest.
    let newest = Operation::splice(7, 3, 4, "").unwrap();
    assert!(s.stacks(ALICE).recognise(Action::Undo, &newest).is_some());
    // Anything else is not an undo of the stack.
    let other = Operation::splice(7, 0, 3, "").unwrap();
    assert!(s.stacks(ALICE).recognise(Action::Undo, &other).is_none());
    assert!(s.stacks(BOB).recognise(Action::Undo, &both).is_none());
    // Committed as an undo, it takes both steps, and one redo puts both back.
    s.commit(ALICE, both, Kind::Undo, Runs::new());
    assert_eq!(s.text, "");
    assert_eq!(s.stacks(ALICE).depths(), (0, 1));
    assert!(s.redo(ALICE));
    assert_eq!(s.text, "one two");
}

#[test]
fn an_undo_that_is_not_the_stacks_top_counts_as_an_edit() {
    let mut s = Session::new("");
    s.edit(ALICE, 0, 0, "abc");
    // Recorded as an undo (by a client whose history differed), but it is not the top step.
    let op = Operation::splice(3, 0, 1, "").unwrap();
    s.commit(ALICE, op, Kind::Undo, Runs::new());
    assert_eq!(s.stacks(ALICE).depths(), (2, 0));
    assert!(s.undo(ALICE));
    assert_eq!(s.text, "abc");
}
