//! Checks every evidence store must pass, whatever is behind it.

use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use liuhen_server_blobs::{BlobsError, EvidenceStore, PART_SIZE};

/// Deterministic bytes that are not all alike.
pub fn bytes_of(len: usize, seed: u8) -> Vec<u8> {
    let mut x = u32::from(seed) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

pub fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn read_all(
    store: &EvidenceStore,
    sha256: &str,
    range: Option<std::ops::Range<u64>>,
) -> Vec<u8> {
    let mut read = store.get(sha256, range).await.unwrap();
    let mut out = Vec::new();
    while let Some(chunk) = read.stream.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

/// Streamed in (several multipart parts), streamed out whole and by range,
/// verified; storing the same bytes again finds them present.
pub async fn blobs_stream_in_and_out(store: &EvidenceStore) {
    let data = bytes_of(PART_SIZE * 2 + 12_345, 1);
    let want = sha(&data);
    let mut staging = store.stage();
    for chunk in data.chunks(64 * 1024) {
        staging.write(Bytes::copy_from_slice(chunk)).await.unwrap();
    }
    let stored = staging.commit(Some(&want)).await.unwrap();
    assert_eq!(stored.sha256, want);
    assert_eq!(stored.size, data.len() as u64);
    assert!(!stored.already_present);
    assert!(store.contains(&want).await.unwrap());
    assert_eq!(store.size(&want).await.unwrap(), Some(data.len() as u64));
    assert_eq!(read_all(store, &want, None).await, data);
    assert_eq!(
        read_all(store, &want, Some(1000..2000)).await,
        data[1000..2000]
    );
    store.verify(&want).await.unwrap();
    let again = store.put_bytes(data.clone()).await.unwrap();
    assert!(again.already_present);
    // Not a hash, or not there.
    assert!(!store.contains("not-a-hash").await.unwrap());
    assert!(!store.contains(&sha(b"absent")).await.unwrap());
    assert!(matches!(
        store.get(&sha(b"absent"), None).await,
        Err(BlobsError::Missing(_))
    ));
}

/// Bytes that do not hash to the declared SHA-256 never become a blob, under
/// either name, and leave no staging object behind.
pub async fn a_wrong_hash_never_becomes_a_blob(store: &EvidenceStore) {
    let data = bytes_of(300_000, 2);
    let declared = sha(b"what the device said it would send");
    let mut staging = store.stage();
    for chunk in data.chunks(50_000) {
        staging.write(Bytes::copy_from_slice(chunk)).await.unwrap();
    }
    match staging.commit(Some(&declared)).await {
        Err(BlobsError::Mismatch { expected, actual }) => {
            assert_eq!(expected, declared);
            assert_eq!(actual, sha(&data));
        }
        other => panic!("expected a mismatch, got {other:?}"),
    }
    assert!(!store.contains(&declared).await.unwrap());
    assert!(!store.contains(&sha(&data)).await.unwrap());
    // Empty input is no evidence either.
    assert!(matches!(
        store.stage().commit(None).await,
        Err(BlobsError::Empty)
    ));
}

/// Upload pieces: written, read back, swept with their upload.
pub async fn upload_pieces_are_objects_of_their_upload(store: &EvidenceStore) {
    let upload = uuid::Uuid::now_v7().hyphenated().to_string();
    let mut keys = vec![];
    for (i, part) in [bytes_of(1000, 3), bytes_of(2000, 4)].iter().enumerate() {
        let key = EvidenceStore::piece_key(&upload, (i * 1000) as u64, "w1");
        let mut w = store.piece_writer(&key);
        w.write(Bytes::copy_from_slice(part)).await.unwrap();
        let (k, size) = w.finish().await.unwrap();
        assert_eq!((k.as_str(), size), (key.as_str(), part.len() as u64));
        let mut s = store.read_key(&key).await.unwrap();
        let mut back = vec![];
        while let Some(c) = s.next().await {
            back.extend_from_slice(&c.unwrap());
        }
        assert_eq!(&back, part);
        keys.push(key);
    }
    assert!(
        store
            .upload_ids_with_objects()
            .await
            .unwrap()
            .contains(&upload)
    );
    assert_eq!(store.delete_upload_objects(&upload).await.unwrap(), 2);
    assert!(matches!(
        store.read_key(&keys[0]).await,
        Err(BlobsError::Missing(_))
    ));
    assert!(
        !store
            .upload_ids_with_objects()
            .await
            .unwrap()
            .contains(&upload)
    );
    store.delete_key(&keys[1]).await.unwrap();
}

/// Staging objects a crash left behind are swept once old; blobs and upload pieces
/// are not touched.
pub async fn abandoned_staging_objects_are_swept(store: &EvidenceStore) {
    let staged = format!("tmp/{}", uuid::Uuid::now_v7().simple());
    let mut w = store.piece_writer(&staged);
    w.write(Bytes::from(bytes_of(500, 7))).await.unwrap();
    w.finish().await.unwrap();
    let blob = store.put_bytes(bytes_of(700, 8)).await.unwrap();
    let upload = uuid::Uuid::now_v7().hyphenated().to_string();
    let piece = EvidenceStore::piece_key(&upload, 0, "w1");
    let mut w = store.piece_writer(&piece);
    w.write(Bytes::from(bytes_of(300, 9))).await.unwrap();
    w.finish().await.unwrap();

    let now = chrono::Utc::now();
    // Younger than the cut-off: kept (it may belong to a request in flight).
    let kept = store
        .sweep_staging(now - chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(kept, 0);
    assert!(store.read_key(&staged).await.is_ok());
    let swept = store
        .sweep_staging(now + chrono::Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(swept, 1);
    assert!(matches!(
        store.read_key(&staged).await,
        Err(BlobsError::Missing(_))
    ));
    assert!(store.contains(&blob.sha256).await.unwrap());
    assert!(store.read_key(&piece).await.is_ok());
    store.delete_upload_objects(&upload).await.unwrap();
}

/// Generates one test per check, on a store made by `$make`.
#[macro_export]
macro_rules! blob_store_tests {
    ($make:path) => {
        $crate::blob_store_tests!(@t $make; blobs_stream_in_and_out, a_wrong_hash_never_becomes_a_blob, upload_pieces_are_objects_of_their_upload, abandoned_staging_objects_are_swept);
    };
    (@t $make:path; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (_keep, store) = $make();
                $crate::suite::$name(&store).await;
            }
        )*
    };
}
