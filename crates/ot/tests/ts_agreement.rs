//! The browser's port of this crate (web/src/collab/ot.ts) must agree with it exactly: the
//! same tie-breaks and the same normal form, or a browser and the server would compute
//! different texts from the same ops. web/test/agreement.test.ts pins the port's output for
//! 400 seeded cases (emoji and same-position inserts included) in a fixture; this test
//! checks that tandem-ot produces the same output for each.

use serde_json::Value;
use tandem_ot::{Operation, transform};

fn op(case: &Value, field: &str) -> Operation {
    serde_json::from_value(case[field].clone()).expect("an operation")
}

#[test]
fn the_browser_transform_gives_the_same_operations_as_this_crate() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../web/test/fixtures/transform-cases.json"
    );
    let cases: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("cases");
    assert_eq!(cases.len(), 400);
    for (i, case) in cases.iter().enumerate() {
        let (a, b) = (op(case, "a"), op(case, "b"));
        let (a2, b2) = transform(&a, &b).unwrap();
        assert_eq!(a2, op(case, "a2"), "case {i}: a'");
        assert_eq!(b2, op(case, "b2"), "case {i}: b'");
        let doc = case["doc"].as_str().unwrap();
        let applied = b2.apply(&a.apply(doc).unwrap()).unwrap();
        assert_eq!(applied, case["result"].as_str().unwrap(), "case {i}: text");
    }
}
