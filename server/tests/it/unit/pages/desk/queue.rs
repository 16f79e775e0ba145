//! Tests of `server/src/pages/desk/queue.rs`.

use liuhen_server::pages::desk::queue::*;
use liuhen_server::storage::queue::QueueCursor;

#[test]
fn cursors_round_trip_and_garbage_is_refused() {
    let c = QueueCursor {
        rank: 3,
        updated_us: 1_763_600_000_123_456,
        doc_id: "0193a7c2-0000-7000-8000-000000000001".into(),
    };
    assert_eq!(decode_cursor(&encode_cursor(&c)), Some(c));
    for bad in ["", "x", "1_2", "9_1_a", "1_x_a", "1_2_<script>", "1_2_"] {
        assert_eq!(decode_cursor(bad), None, "{bad}");
    }
}
