//! The ot.js wire format and parsing untrusted input.

use tandem_ot::{Limits, Operation, OtError};

#[test]
fn serializes_like_ot_js() {
    let mut o = Operation::new();
    o.retain(5).insert("abc").delete(3).retain(1);
    assert_eq!(serde_json::to_string(&o).unwrap(), r#"[5,"abc",-3,1]"#);
    assert_eq!(o.to_json(), r#"[5,"abc",-3,1]"#);
    let back: Operation = serde_json::from_str(r#"[5,"abc",-3,1]"#).unwrap();
    assert_eq!(back, o);
    let weird = "quote\" back\\slash \n 😀 \u{1}";
    let mut o = Operation::new();
    o.insert(weird);
    assert_eq!(o.to_json(), serde_json::to_string(&o).unwrap());
    assert_eq!(
        Operation::from_json(&o.to_json(), &Limits::default()).unwrap(),
        o
    );
}

#[test]
fn parsing_normalizes() {
    let o = Operation::from_json(r#"[1, 2, -1, "a", -2, "b"]"#, &Limits::default()).unwrap();
    assert_eq!(o.to_json(), r#"[3,"ab",-3]"#);
    assert_eq!(
        Operation::from_json("[]", &Limits::default()).unwrap(),
        Operation::new()
    );
}

fn malformed(json: &str) {
    match Operation::from_json(json, &Limits::default()) {
        Err(OtError::Malformed(_)) => {}
        other => panic!("{json}: expected Malformed, got {other:?}"),
    }
}

#[test]
fn rejects_malformed() {
    for json in [
        "",
        "[",
        "[0]",
        "[-0]",
        r#"[""]"#,
        "[1.5]",
        "[1e3]",
        "[1.0]",
        "[true]",
        "[null]",
        "[[1]]",
        r#"[{"retain":1}]"#,
        "{}",
        "5",
        r#""abc""#,
        "[1] [2]",
        "[18446744073709551616]",
        "[-9223372036854775809]",
        "[1,]",
    ] {
        malformed(json);
    }
}

#[test]
fn rejects_overflow() {
    let json = format!("[{}, {}]", u64::MAX, u64::MAX);
    assert_eq!(
        Operation::from_json(&json, &Limits::default()),
        Err(OtError::LengthOverflow)
    );
    let json = format!(
        "[{}, -9223372036854775808, -9223372036854775808]",
        u64::MAX / 2
    );
    assert_eq!(
        Operation::from_json(&json, &Limits::default()),
        Err(OtError::LengthOverflow)
    );
}

#[test]
fn enforces_limits() {
    let limits = Limits {
        max_json_bytes: 40,
        max_components: 3,
        max_inserted_chars: 4,
    };
    assert_eq!(
        Operation::from_json(r#"[1, "a", 1, "b"]"#, &limits),
        Err(OtError::TooManyComponents { limit: 3 })
    );
    assert_eq!(
        Operation::from_json(r#"["😀😀", 1, "中文中"]"#, &limits),
        Err(OtError::TooMuchInserted { limit: 4 })
    );
    assert!(Operation::from_json(r#"["😀😀", 1, "中文"]"#, &limits).is_ok());
    let big = format!("[{}]", "1,".repeat(30) + "1");
    assert!(matches!(
        Operation::from_json(&big, &limits),
        Err(OtError::TooLarge { limit: 40, .. })
    ));
}

#[test]
fn parses_from_a_json_value() {
    let msg: serde_json::Value = serde_json::from_str(r#"{"rev": 3, "op": [2, "x", -1]}"#).unwrap();
    let o = Operation::from_json_value(&msg["op"], &Limits::default()).unwrap();
    assert_eq!(o.apply("abc").unwrap(), "abx");
    assert!(matches!(
        Operation::from_json_value(&msg["rev"], &Limits::default()),
        Err(OtError::Malformed(_))
    ));
    let limits = Limits {
        max_components: 2,
        ..Limits::default()
    };
    assert_eq!(
        Operation::from_json_value(&msg["op"], &limits),
        Err(OtError::TooManyComponents { limit: 2 })
    );
}
