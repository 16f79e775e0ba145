//! Tests of `server/src/services/summary.rs`.

use liuhen_server::services::summary::*;
use liuhen_server::storage::queue::ReviewState;

#[test]
fn attention_order_of_states() {
    use ReviewState::*;
    let r = |s, v, l| rank(s, v, l);
    assert_eq!(r(Amended, false, false), 0);
    assert_eq!(r(Pending, true, false), 0);
    assert!(r(Pending, false, false) < r(Open, false, true));
    assert!(r(Open, false, true) < r(Returned, false, false));
    assert!(r(Returned, false, false) < r(Open, false, false));
    assert!(r(Open, true, false) < r(Approved, true, true));
    assert_eq!(r(Returned, false, true), r(Open, false, true));
}
