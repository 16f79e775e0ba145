//! The same checks against a real S3-compatible server: `scripts/s3.sh start`
//! starts one (Garage) and prints the `AWS_*` settings and `LIUHEN_TEST_S3`.
//! Without it these tests fail (never skip).

use liuhen_server_blobs::{BlobsLocation, EvidenceStore};

fn make() -> ((), EvidenceStore) {
    let url = std::env::var("LIUHEN_TEST_S3").unwrap_or_else(|_| {
        panic!(
            "LIUHEN_TEST_S3 is not set: start the S3 test server with \
             `eval \"$(bash scripts/s3.sh start)\"` (it also sets AWS_ENDPOINT, \
             AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ALLOW_HTTP)"
        )
    });
    // Each test in a prefix of its own.
    let url = format!(
        "{}/{}",
        url.trim_end_matches('/'),
        uuid::Uuid::now_v7().simple()
    );
    let location = BlobsLocation::parse(Some(&url), std::path::PathBuf::new()).unwrap();
    assert!(matches!(location, BlobsLocation::S3 { .. }), "{url}");
    ((), EvidenceStore::open(&location).unwrap())
}

crate::blob_store_tests!(make);
