//! The default store: a local directory, in the layout the server always used.

use std::path::Path;

use futures_util::StreamExt;

use liuhen_server_blobs::{BlobsLocation, EvidenceStore};

use crate::suite::{bytes_of, sha};

fn make() -> (tempfile::TempDir, EvidenceStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = EvidenceStore::local(&dir.path().join("blobs")).unwrap();
    (dir, store)
}

crate::blob_store_tests!(make);

/// A data directory written before object storage: its blobs (`blobs/<aa>/<sha>`,
/// by the old blob directory) are found and read, and new blobs land in the same
/// layout.
#[tokio::test]
async fn existing_data_directories_keep_working() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = dir.path().join("blobs");
    let old = bytes_of(100_000, 7);
    let old_sha = {
        let store = liuhen_domain::blobs::BlobStore::open(&blobs).unwrap();
        store.put_reader(std::io::Cursor::new(&old)).unwrap().sha256
    };
    let store = EvidenceStore::open(&BlobsLocation::parse(None, blobs.clone()).unwrap()).unwrap();
    assert!(store.contains(&old_sha).await.unwrap());
    store.verify(&old_sha).await.unwrap();
    let mut read = store.get(&old_sha, None).await.unwrap();
    let mut back = vec![];
    while let Some(c) = read.stream.next().await {
        back.extend_from_slice(&c.unwrap());
    }
    assert_eq!(back, old);

    let new = bytes_of(5000, 8);
    let stored = store.put_bytes(new.clone()).await.unwrap();
    assert_eq!(stored.sha256, sha(&new));
    let path = blobs.join(&stored.sha256[..2]).join(&stored.sha256);
    assert_eq!(std::fs::read(&path).unwrap(), new);
    // The old code reads what the new one wrote.
    let old_store = liuhen_domain::blobs::BlobStore::open(&blobs).unwrap();
    old_store.verify(&stored.sha256).unwrap();
    // No staging file is left beside the blobs.
    assert_eq!(count_files(&blobs.join("tmp")), 0);
}

/// A blob whose bytes changed on disk fails verification.
#[tokio::test]
async fn a_damaged_blob_fails_verification() {
    let (dir, store) = make();
    let data = bytes_of(10_000, 9);
    let stored = store.put_bytes(data).await.unwrap();
    let path = dir
        .path()
        .join("blobs")
        .join(&stored.sha256[..2])
        .join(&stored.sha256);
    std::fs::write(&path, b"damaged").unwrap();
    assert!(matches!(
        store.verify(&stored.sha256).await,
        Err(liuhen_server_blobs::BlobsError::Mismatch { .. })
    ));
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|r| r.count()).unwrap_or(0)
}
