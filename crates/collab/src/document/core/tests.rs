use super::*;
use crate::protocol::Selection as WireSelection;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const LIMIT: usize = 1 << 20;

fn op(json: &str) -> Operation {
    Operation::from_json(json, &tandem_ot::Limits::default()).unwrap()
}

fn author(n: u128, seq: u64) -> Author {
    Author {
        user_id: Uuid::from_u128(n),
        session_id: Uuid::from_u128(100 + n),
        client_id: Uuid::from_u128(200 + n),
        seq,
    }
}

fn change(who: u128, seq: u64, base: u64, json: &str) -> Change {
    Change {
        author: author(who, seq),
        base,
        op: op(json),
        selection: None,
        kind: Kind::Edit,
    }
}

fn commit(core: &mut Core) -> Vec<Entry> {
    core.take_batch().expect("something to commit");
    core.batch_committed(Utc::now())
}

#[test]
fn a_change_at_the_head_is_accepted_then_committed_as_the_next_revision() {
    let mut core = Core::new("Hi", 0, 100, LIMIT);
    let submitted = core.submit(change(1, 1, 0, r#"[2,"!"]"#), &[]).unwrap();
    assert_eq!(submitted, Submitted::Accepted { revision: 1 });
    // Not committed: the committed text has not changed.
    assert_eq!(core.text().to_string(), "Hi");
    assert_eq!(core.revision(), 0);
    let entries = commit(&mut core);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].revision, 1);
    assert_eq!(core.text().to_string(), "Hi!");
    assert_eq!(
        core.client(author(1, 0).client_id),
        Some(ClientSeq {
            seq: 1,
            revision: 1
        })
    );
}

#[test]
fn concurrent_inserts_at_one_place_put_the_earlier_committed_first() {
    let mut core = Core::new("ab", 3, 100, LIMIT);
    core.submit(change(1, 1, 3, r#"[1,"X",1]"#), &[]).unwrap();
    commit(&mut core);
    core.submit(change(2, 1, 3, r#"[1,"Y",1]"#), &[]).unwrap();
    let entries = commit(&mut core);
    assert_eq!(entries[0].op, op(r#"[2,"Y",1]"#));
    assert_eq!(core.text().to_string(), "aXYb");
}

#[test]
fn a_change_is_transformed_against_changes_accepted_but_not_yet_committed() {
    let mut core = Core::new("ab", 0, 100, LIMIT);
    core.submit(change(1, 1, 0, r#"["1",2]"#), &[]).unwrap();
    core.take_batch().unwrap();
    // Accepted while the first is with the committer.
    let second = core.submit(change(2, 1, 0, r#"[2,"2"]"#), &[]).unwrap();
    assert_eq!(second, Submitted::Accepted { revision: 2 });
    assert!(core.take_batch().is_none(), "one batch in flight at a time");
    core.batch_committed(Utc::now());
    let entries = commit(&mut core);
    assert_eq!(entries[0].op, op(r#"[3,"2"]"#));
    assert_eq!(core.text().to_string(), "1ab2");
}

#[test]
fn a_resent_change_is_acknowledged_again_with_its_revision_and_applied_once() {
    let mut core = Core::new("", 0, 100, LIMIT);
    core.submit(change(1, 1, 0, r#"["a"]"#), &[]).unwrap();
    commit(&mut core);
    core.submit(change(2, 1, 1, r#"[1,"b"]"#), &[]).unwrap();
    commit(&mut core);
    // The ack of seq 1 was lost; the client re-sends it, still based on revision 0.
    let again = core.submit(change(1, 1, 0, r#"["a"]"#), &[]).unwrap();
    assert_eq!(
        again,
        Submitted::AlreadyCommitted {
            seq: 1,
            revision: 1
        }
    );
    assert!(!core.has_pending());
    assert_eq!(core.text().to_string(), "ab");
}

#[test]
fn a_resent_change_that_is_still_pending_is_not_accepted_twice() {
    let mut core = Core::new("", 0, 100, LIMIT);
    core.submit(change(1, 4, 0, r#"["a"]"#), &[]).unwrap();
    assert_eq!(
        core.submit(change(1, 4, 0, r#"["a"]"#), &[]).unwrap(),
        Submitted::AlreadyPending
    );
    assert_eq!(core.pending_len(), 1);
}

#[test]
fn seqs_may_skip_but_not_go_back() {
    let mut core = Core::new("", 0, 100, LIMIT);
    core.submit(change(1, 5, 0, r#"["a"]"#), &[]).unwrap();
    commit(&mut core);
    assert!(matches!(
        core.submit(change(1, 3, 1, r#"[1,"b"]"#), &[]),
        Err(Refusal::StaleSeq { seq: 3, last: 5 })
    ));
    assert!(core.submit(change(1, 9, 1, r#"[1,"b"]"#), &[]).is_ok());
}

#[test]
fn storage_knowledge_of_a_client_recognises_its_old_changes() {
    let mut core = Core::new("abc", 10, 100, LIMIT);
    core.load_client(
        author(1, 0).client_id,
        ClientSeq {
            seq: 7,
            revision: 9,
        },
    );
    assert_eq!(
        core.submit(change(1, 7, 3, r#"["x",3]"#), &[]).unwrap(),
        Submitted::AlreadyCommitted {
            seq: 7,
            revision: 9
        }
    );
}

#[test]
fn bad_changes_are_refused_with_a_reason() {
    let mut core = Core::new("abc", 2, 100, LIMIT);
    assert!(matches!(
        core.submit(change(1, 1, 3, r#"[3,"x"]"#), &[]),
        Err(Refusal::FutureRevision { base: 3, head: 2 })
    ));
    let wrong_length = core.submit(change(1, 1, 2, r#"[5,"x"]"#), &[]).unwrap_err();
    assert!(
        matches!(&wrong_length, Refusal::InvalidOperation(m) if m.contains("5 code points")),
        "{wrong_length}"
    );
    assert!(matches!(
        core.submit(change(1, 1, 2, r#"[3,"a\r\nb"]"#), &[]),
        Err(Refusal::InvalidOperation(_))
    ));
    let mut small = Core::new("abc", 0, 100, 5);
    assert!(matches!(
        small.submit(change(1, 1, 0, r#"[3,"xyz"]"#), &[]),
        Err(Refusal::TooLarge { bytes: 6, limit: 5 })
    ));
    assert!(!core.has_pending());
}

#[test]
fn a_change_older_than_the_memory_window_asks_for_the_missing_ops() {
    let mut core = Core::new("", 0, 2, LIMIT);
    let mut log = Vec::new();
    for i in 0..5u64 {
        core.submit(
            change(1, i + 1, i, &format!(r#"[{i},"{i}"]"#).replace("[0,", "[")),
            &[],
        )
        .unwrap();
        log.extend(commit(&mut core));
    }
    assert_eq!(core.text().to_string(), "01234");
    assert_eq!(core.window_start(), 4);
    assert_eq!(core.missing_history(1), Some((2, 3)));
    assert_eq!(core.missing_history(3), None);
    let older: Vec<Operation> = log[1..3].iter().map(|e| e.op.clone()).collect();
    core.submit(change(2, 1, 1, r#"[1,"!"]"#), &older).unwrap();
    commit(&mut core);
    // Every later insert at that place was committed first, so each goes before it.
    assert_eq!(core.text().to_string(), "01234!");
    // Without the older ops the change could not be placed at all.
    assert!(core.submit(change(3, 1, 1, r#"[1,"?"]"#), &[]).is_err());
}

#[test]
fn cursors_move_through_ops_and_the_authors_comes_with_the_change() {
    let mut core = Core::new("hello world", 0, 100, LIMIT);
    let grace = author(2, 0).session_id;
    core.set_cursor(
        grace,
        0,
        Some(WireSelection {
            anchor: 6,
            head: 11,
        }),
    )
    .unwrap();
    let mut typed = change(1, 1, 0, r#"["Oh, ",11]"#);
    typed.selection = Some(WireSelection { anchor: 4, head: 4 });
    core.submit(typed, &[]).unwrap();
    commit(&mut core);
    assert_eq!(
        core.cursor(grace),
        Some(Selection {
            anchor: 10,
            head: 15
        })
    );
    assert_eq!(
        core.cursor(author(1, 0).session_id),
        Some(Selection::caret(4))
    );
    // A cursor sent at an old revision is moved to the head.
    let moved = core
        .set_cursor(grace, 0, Some(WireSelection { anchor: 0, head: 0 }))
        .unwrap();
    assert_eq!(moved, Some(Selection::caret(0)));
    let at_end = core
        .set_cursor(
            grace,
            0,
            Some(WireSelection {
                anchor: 11,
                head: 99,
            }),
        )
        .unwrap();
    assert_eq!(at_end, Some(Selection::caret(15)));
    assert!(core.set_cursor(grace, 5, None).is_err());
}

#[test]
fn a_follower_applies_in_order_ignores_what_it_has_and_reports_gaps() {
    let mut writer = Core::new("", 0, 100, LIMIT);
    let mut log = Vec::new();
    for (i, text) in ["a", "b", "c"].iter().enumerate() {
        let json = if i == 0 {
            format!(r#"["{text}"]"#)
        } else {
            format!(r#"[{i},"{text}"]"#)
        };
        writer
            .submit(change(1, i as u64 + 1, i as u64, &json), &[])
            .unwrap();
        log.extend(commit(&mut writer));
    }
    let mut follower = Core::new("", 0, 100, LIMIT);
    assert_eq!(follower.apply_remote(&log[0]), Remote::Applied);
    assert_eq!(follower.apply_remote(&log[0]), Remote::Duplicate);
    assert_eq!(
        follower.apply_remote(&log[2]),
        Remote::Gap { from: 2, to: 2 }
    );
    assert_eq!(follower.apply_remote(&log[1]), Remote::Applied);
    assert_eq!(follower.apply_remote(&log[2]), Remote::Applied);
    assert_eq!(follower.text().to_string(), "abc");
    assert_eq!(follower.since(1).unwrap().len(), 2);
}

#[test]
fn a_failed_batch_is_taken_again_and_a_lost_fence_drops_everything_unacknowledged() {
    let mut core = Core::new("", 0, 100, LIMIT);
    core.submit(change(1, 1, 0, r#"["a"]"#), &[]).unwrap();
    core.take_batch().unwrap();
    core.batch_failed();
    core.submit(change(2, 1, 0, r#"["b"]"#), &[]).unwrap();
    assert_eq!(core.take_batch().unwrap().len(), 2);
    core.discard_pending();
    assert!(!core.has_pending());
    assert_eq!(core.text().to_string(), "");
    // The tentative text went back too: a change at revision 0 fits again.
    assert!(core.submit(change(3, 1, 0, r#"["c"]"#), &[]).is_ok());
}

/// A minimal client of the protocol's state machine (§4.1), to check convergence.
struct SimClient {
    id: u8,
    text: String,
    revision: u64,
    inflight: Option<(u64, Operation)>,
    buffer: Option<Operation>,
    seq: u64,
}

impl SimClient {
    fn edit(&mut self, rng: &mut StdRng) -> Option<Change> {
        let len = self.text.chars().count();
        let at = rng.random_range(0..=len);
        let edit = if len > 0 && rng.random_bool(0.3) {
            Operation::splice(len, at.min(len - 1), 1, "").unwrap()
        } else {
            let pieces = ["x", "🦀", "é", "日本", "\n"];
            Operation::splice(len, at, 0, pieces[rng.random_range(0..pieces.len())]).unwrap()
        };
        self.text = edit.apply(&self.text).unwrap();
        match (&self.inflight, &mut self.buffer) {
            (None, _) => {
                self.seq += 1;
                self.inflight = Some((self.seq, edit.clone()));
                return Some(self.change_for(self.seq, edit));
            }
            (Some(_), Some(buffer)) => *buffer = tandem_ot::compose(buffer, &edit).unwrap(),
            (Some(_), None) => self.buffer = Some(edit),
        }
        None
    }

    fn change_for(&self, seq: u64, op: Operation) -> Change {
        Change {
            author: Author {
                user_id: Uuid::nil(),
                session_id: Uuid::nil(),
                client_id: Uuid::from_u128(u128::from(self.id())),
                seq,
            },
            base: self.revision,
            op,
            selection: None,
            kind: Kind::Edit,
        }
    }

    fn id(&self) -> u8 {
        self.id
    }

    fn receive(&mut self, entry: &Entry, mine: bool) -> Option<Change> {
        assert_eq!(entry.revision, self.revision + 1);
        self.revision = entry.revision;
        if mine {
            self.inflight = None;
            if let Some(buffer) = self.buffer.take() {
                self.seq += 1;
                self.inflight = Some((self.seq, buffer.clone()));
                return Some(self.change_for(self.seq, buffer));
            }
            return None;
        }
        let mut server = entry.op.clone();
        if let Some((seq, inflight)) = &self.inflight {
            let (s2, i2) = tandem_ot::transform(&server, inflight).unwrap();
            self.inflight = Some((*seq, i2));
            server = s2;
        }
        if let Some(buffer) = &self.buffer {
            let (s2, b2) = tandem_ot::transform(&server, buffer).unwrap();
            self.buffer = Some(b2);
            server = s2;
        }
        self.text = server.apply(&self.text).unwrap();
        None
    }
}

#[test]
fn clients_following_the_protocol_converge_whatever_the_interleaving() {
    for seed in 0..40 {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut core = Core::new("start", 0, 10_000, LIMIT);
        let mut clients: Vec<SimClient> = (0..3)
            .map(|id| SimClient {
                id,
                text: "start".into(),
                revision: 0,
                inflight: None,
                buffer: None,
                seq: 0,
            })
            .collect();
        let ids: Vec<Uuid> = clients
            .iter()
            .map(|c| Uuid::from_u128(u128::from(c.id())))
            .collect();
        // Messages in flight to the server, and committed entries each client has not read.
        let mut to_server: Vec<Change> = Vec::new();
        let mut delivered = vec![0usize; clients.len()];
        let mut log: Vec<Entry> = Vec::new();
        for _ in 0..300 {
            match rng.random_range(0..4) {
                0 => {
                    let c = rng.random_range(0..clients.len());
                    if let Some(change) = clients[c].edit(&mut rng) {
                        to_server.push(change);
                    }
                }
                1 if !to_server.is_empty() => {
                    // Changes reach the server in any order across clients, in order per client.
                    let pick = rng.random_range(0..to_server.len());
                    let client = to_server[pick].author.client_id;
                    let first = to_server
                        .iter()
                        .position(|c| c.author.client_id == client)
                        .unwrap();
                    let change = to_server.remove(first);
                    core.submit(change, &[]).unwrap();
                }
                2 => {
                    if core.take_batch().is_some() {
                        log.extend(core.batch_committed(Utc::now()));
                    }
                }
                _ => {
                    let c = rng.random_range(0..clients.len());
                    if let Some(entry) = log.get(delivered[c]) {
                        delivered[c] += 1;
                        let mine = entry.author.client_id == ids[c];
                        if let Some(next) = clients[c].receive(entry, mine) {
                            to_server.push(next);
                        }
                    }
                }
            }
        }
        // Drain everything.
        loop {
            let mut progressed = false;
            while !to_server.is_empty() {
                let change = to_server.remove(0);
                core.submit(change, &[]).unwrap();
                progressed = true;
            }
            if core.take_batch().is_some() {
                log.extend(core.batch_committed(Utc::now()));
                progressed = true;
            }
            for c in 0..clients.len() {
                while let Some(entry) = log.get(delivered[c]) {
                    delivered[c] += 1;
                    let mine = entry.author.client_id == ids[c];
                    if let Some(next) = clients[c].receive(entry, mine) {
                        to_server.push(next);
                    }
                    progressed = true;
                }
            }
            if !progressed {
                break;
            }
        }
        let server = core.text().to_string();
        for client in &clients {
            assert_eq!(client.text, server, "seed {seed}");
        }
        // The log replayed from the start gives the same text.
        let mut replay = Document::from("start");
        for entry in &log {
            replay.apply(&entry.op).unwrap();
        }
        assert_eq!(replay.to_string(), server, "seed {seed}");
    }
}

#[test]
fn revisions_at_the_edge_of_u64_are_refused_not_overflowed() {
    let mut core = Core::new("abc", 3, 2, LIMIT);
    assert_eq!(core.missing_history(u64::MAX), None);
    assert!(core.since(u64::MAX).is_none());
    assert!(core.set_cursor(Uuid::nil(), u64::MAX, None).is_err());
    assert!(matches!(
        core.submit(change(1, u64::MAX, u64::MAX, r#"[3,"x"]"#), &[]),
        Err(Refusal::FutureRevision { .. })
    ));
}

#[test]
fn an_undo_asked_for_while_the_editors_change_is_pending_takes_that_change_back() {
    let mut core = Core::new("ab", 0, 100, LIMIT);
    let ada = author(1, 1);
    let editor = (ada.user_id, ada.client_id);
    assert!(core.set_stacks(editor, Stacks::new(0, 10)));
    core.submit(change(1, 1, 0, r#"[2,"cd"]"#), &[]).unwrap();
    // Not committed yet, but the undo sees it.
    let step = core
        .next_step(editor, Action::Undo, DateTime::<Utc>::MIN_UTC)
        .expect("the pending change is undoable");
    let by_ada = Author { seq: 0, ..ada };
    assert_eq!(core.accept_step(by_ada, Action::Undo, step), Ok(2));
    let entries = commit(&mut core);
    assert_eq!(core.text().to_string(), "ab");
    assert_eq!(entries[1].kind, Kind::Undo);
    // Now it is on the redo stack, and redo puts the text back under ada's name.
    let redo = core
        .next_step(editor, Action::Redo, DateTime::<Utc>::MIN_UTC)
        .expect("a redo");
    core.accept_step(by_ada, Action::Redo, redo).unwrap();
    commit(&mut core);
    assert_eq!(core.text().to_string(), "abcd");
    assert_eq!(
        core.authors().spans().last(),
        Some((2, 4, ada.user_id)),
        "{:?}",
        core.authors()
    );
    // Another editor has nothing to undo.
    assert!(
        core.next_step(
            (ada.user_id, Uuid::nil()),
            Action::Undo,
            DateTime::<Utc>::MIN_UTC
        )
        .is_none()
    );
}

#[test]
fn authorship_follows_the_committed_text() {
    let mut core = Core::new("ab", 0, 100, LIMIT);
    core.set_authors(Runs::uniform(2, Uuid::from_u128(9)));
    core.submit(change(1, 1, 0, r#"[1,"x",1]"#), &[]).unwrap();
    commit(&mut core);
    let spans: Vec<_> = core.authors().spans().collect();
    assert_eq!(
        spans,
        vec![
            (0, 1, Uuid::from_u128(9)),
            (1, 2, Uuid::from_u128(1)),
            (2, 3, Uuid::from_u128(9))
        ]
    );
}
