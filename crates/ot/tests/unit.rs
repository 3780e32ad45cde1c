//! Hand-worked cases, with emoji, combining characters and CJK text.

use tandem_ot::{
    Bias, Component, Document, Operation, OtError, Selection, Side, compose, diff, invert,
    transform, transform_against, transform_with_priority,
};

fn op(build: impl FnOnce(&mut Operation)) -> Operation {
    let mut o = Operation::new();
    build(&mut o);
    o
}

#[test]
fn builder_normalizes_like_ot_js() {
    let o = op(|o| {
        o.retain(0)
            .retain(2)
            .retain(1)
            .insert("")
            .insert("a")
            .insert("b")
            .delete(0);
        o.delete(1).delete(2).insert("c");
    });
    assert_eq!(
        o.components(),
        &[
            Component::Retain(3),
            Component::Insert("abc".into()),
            Component::Delete(3)
        ]
    );
    assert_eq!((o.base_len(), o.target_len()), (6, 6));
    // Same effect, built in another order, compares equal.
    assert_eq!(o, op(|o| _ = o.retain(3).delete(3).insert("abc")));
}

#[test]
fn apply_counts_code_points_not_bytes() {
    // 👩‍👩‍👧 is 5 code points (3 people + 2 zero-width joiners); é here is e + U+0301.
    let doc = "e\u{301}👩\u{200d}👩\u{200d}👧中文";
    assert_eq!(doc.chars().count(), 9);
    let o = op(|o| _ = o.retain(2).delete(5).insert("🦀").retain(2));
    assert_eq!(o.apply(doc).unwrap(), "e\u{301}🦀中文");
    // Deleting only the combining mark leaves the bare letter.
    let o = op(|o| _ = o.retain(1).delete(1).retain(7));
    assert_eq!(o.apply(doc).unwrap(), "e👩\u{200d}👩\u{200d}👧中文");
}

#[test]
fn apply_rejects_wrong_length_without_panicking() {
    let o = Operation::splice(3, 1, 1, "x").unwrap();
    assert_eq!(
        o.apply("abcd"),
        Err(OtError::BaseLengthMismatch {
            expected: 3,
            actual: 4
        })
    );
    let mut d = Document::from("ab");
    assert!(d.apply(&o).is_err());
    assert_eq!(d, "ab");
    assert!(Operation::splice(3, 2, 2, "").is_err());
    assert!(Operation::splice(3, usize::MAX, 1, "").is_err());
}

#[test]
fn compose_cjk_edits() {
    let s = "東京都";
    let a = Operation::splice(3, 2, 1, "京大").unwrap(); // replace 都
    assert_eq!(a.apply(s).unwrap(), "東京京大");
    let b = Operation::splice(4, 2, 1, "").unwrap(); // drop the second 京
    let ab = compose(&a, &b).unwrap();
    assert_eq!(ab.apply(s).unwrap(), "東京大");
    assert_eq!(ab, op(|o| _ = o.retain(2).insert("大").delete(1)));
    assert!(matches!(
        compose(&a, &a),
        Err(OtError::ComposeLengthMismatch { .. })
    ));
}

#[test]
fn transform_concurrent_inserts_tie_break() {
    let s = "🙂";
    let a = Operation::splice(1, 1, 0, "a").unwrap();
    let b = Operation::splice(1, 1, 0, "b").unwrap();
    let (a2, b2) = transform(&a, &b).unwrap();
    let via_a = b2.apply(&a.apply(s).unwrap()).unwrap();
    let via_b = a2.apply(&b.apply(s).unwrap()).unwrap();
    assert_eq!(via_a, "🙂ab");
    assert_eq!(via_a, via_b);

    let (a2, b2) = transform_with_priority(&a, &b, Side::Right).unwrap();
    let via_a = b2.apply(&a.apply(s).unwrap()).unwrap();
    let via_b = a2.apply(&b.apply(s).unwrap()).unwrap();
    assert_eq!(via_a, "🙂ba");
    assert_eq!(via_a, via_b);
}

#[test]
fn transform_overlapping_deletes() {
    let s = "a\u{301}bcdé";
    let a = Operation::splice(6, 1, 3, "").unwrap(); // delete \u301 b c
    let b = Operation::splice(6, 2, 3, "X").unwrap(); // replace b c d
    let (a2, b2) = transform(&a, &b).unwrap();
    let left = b2.apply(&a.apply(s).unwrap()).unwrap();
    let right = a2.apply(&b.apply(s).unwrap()).unwrap();
    assert_eq!(left, "aXé");
    assert_eq!(left, right);
    assert!(matches!(
        transform(&a, &Operation::identity(5)),
        Err(OtError::TransformLengthMismatch { left: 6, right: 5 })
    ));
}

#[test]
fn transform_against_history() {
    let s = "ab";
    let h1 = Operation::splice(2, 0, 0, "x").unwrap();
    let h2 = Operation::splice(3, 3, 0, "y").unwrap();
    let mine = Operation::splice(2, 1, 0, "Z").unwrap();
    let t = transform_against(&mine, &[h1.clone(), h2.clone()]).unwrap();
    let after = h2.apply(&h1.apply(s).unwrap()).unwrap();
    assert_eq!(t.apply(&after).unwrap(), "xaZby");
}

#[test]
fn invert_restores_emoji_and_combining() {
    let s = "🇫🇷 cafe\u{301}";
    // A flag is two regional-indicator code points.
    let o = Operation::splice(8, 0, 2, "🇩🇪").unwrap();
    let t = o.apply(s).unwrap();
    assert_eq!(t, "🇩🇪 cafe\u{301}");
    let inv = invert(&o, s).unwrap();
    assert_eq!(inv.apply(&t).unwrap(), s);
    let d = Document::from(s);
    assert_eq!(d.invert(&o).unwrap(), inv);
}

#[test]
fn cursor_follows_edits() {
    // "日本語" -> insert "の" at 2, delete 語.
    let o = op(|o| _ = o.retain(2).insert("の").delete(1));
    assert_eq!(o.transform_cursor(0, Bias::After), 0);
    assert_eq!(o.transform_cursor(2, Bias::Before), 2);
    assert_eq!(o.transform_cursor(2, Bias::After), 3);
    assert_eq!(o.transform_cursor(3, Bias::After), 3);
    assert_eq!(o.transform_cursor(99, Bias::After), 3);
    let sel = Selection { anchor: 0, head: 3 };
    assert_eq!(
        sel.transform(&o, Bias::After),
        Selection { anchor: 0, head: 3 }
    );
    assert_eq!(
        Selection::caret(1).transform(&o, Bias::Before),
        Selection::caret(1)
    );
}

#[test]
fn document_edits_in_place() {
    let mut d = Document::new();
    assert!(d.is_empty());
    d.splice(0, 0, "こんにちは").unwrap();
    d.splice(5, 0, "🌏").unwrap();
    let undo = {
        let o = Operation::splice(6, 0, 2, "").unwrap();
        let inv = d.invert(&o).unwrap();
        d.apply(&o).unwrap();
        inv
    };
    assert_eq!(d.to_string(), "にちは🌏");
    d.apply(&undo).unwrap();
    assert_eq!(d.to_string(), "こんにちは🌏");
    assert_eq!(d.len_chars(), 6);
}

#[test]
fn diff_finds_small_edits() {
    let old = "Zürich ist schön. Genf ist auch schön.";
    let new = "Zürich ist groß. Genf ist auch schön!";
    let o = diff(old, new);
    assert_eq!(o.apply(old).unwrap(), new);
    // Two separate changes, with the text between them retained.
    let inserts = o
        .components()
        .iter()
        .filter(|c| matches!(c, Component::Insert(_)))
        .count();
    assert_eq!(inserts, 2);
    assert_eq!(diff("", "😀"), op(|o| _ = o.insert("😀")));
    assert_eq!(diff("😀", ""), op(|o| _ = o.delete(1)));
    assert!(diff("same", "same").is_noop());
}

#[test]
fn noop_and_identity() {
    assert!(Operation::new().is_noop());
    assert!(Operation::identity(4).is_noop());
    assert!(!Operation::splice(4, 0, 1, "").unwrap().is_noop());
    assert_eq!(Operation::identity(3).apply("a😀c").unwrap(), "a😀c");
}

#[test]
fn diff_of_unrelated_large_texts_is_bounded() {
    // Myers is O(N·D): without the deadline this pair takes seconds.
    let mut x: u64 = 7;
    let mut make = |n: usize| -> String {
        (0..n)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                ['a', 'b', ' ', '中', '😀'][((x >> 33) % 5) as usize]
            })
            .collect()
    };
    let (old, new) = (make(100_000), make(100_000));
    let started = std::time::Instant::now();
    let op = diff(&old, &new);
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    assert_eq!(op.apply(&old).unwrap(), new);
}
