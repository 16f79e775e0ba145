//! Evidence ingest on real files: photos made here with the `image` crate (with a
//! hand-written EXIF block), WAV audio, MP4/HEIC headers, and broken inputs. Every
//! refusal must leave no new blob behind.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, TimeZone, Utc};
use image::codecs::jpeg::JpegEncoder;
use image::{ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use liuhen_core::blobs::BlobStore;
use liuhen_core::evidence::{
    EvidenceError, EvidenceLimits, IngestRequest, Ingested, MIB, MediaFormat, ingest_file, sniff,
};
use liuhen_core::inspection::{EvidenceKind, InspectionStep};
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

struct Env {
    dir: TempDir,
    blobs: BlobStore,
}

impl Env {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::open(dir.path().join("blobs")).unwrap();
        Env { dir, blobs }
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        fs::write(&p, bytes).unwrap();
        p
    }

    /// Files in the blob directory, the temporary area excluded.
    fn blob_files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for e in fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    if p.file_name().unwrap() != "tmp" {
                        walk(&p, out);
                    }
                } else {
                    out.push(p);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.dir.path().join("blobs"), &mut out);
        out.sort();
        out
    }

    fn tmp_files(&self) -> usize {
        fs::read_dir(self.dir.path().join("blobs").join("tmp"))
            .unwrap()
            .count()
    }

    fn ingest(
        &self,
        path: &Path,
        kind: EvidenceKind,
        declared: Option<&str>,
        limits: &EvidenceLimits,
    ) -> Result<Ingested, EvidenceError> {
        let req = IngestRequest {
            kind,
            declared_media_type: declared,
            captured_by: "officer-1",
            device_id: "device-A",
            step: InspectionStep::Findings,
            device_time: Utc.with_ymd_and_hms(2026, 11, 20, 1, 5, 0).unwrap(),
            lat: None,
            lon: None,
        };
        ingest_file(&self.blobs, path, &req, limits)
    }

    /// Ingests and asserts the refusal left nothing behind.
    fn refuse(
        &self,
        path: &Path,
        kind: EvidenceKind,
        declared: Option<&str>,
        limits: &EvidenceLimits,
    ) -> EvidenceError {
        let before = self.blob_files();
        let err = self
            .ingest(path, kind, declared, limits)
            .expect_err("should be refused");
        assert_eq!(
            self.blob_files(),
            before,
            "a refused file left a blob: {err}"
        );
        assert_eq!(self.tmp_files(), 0, "a refused file left a temporary file");
        err
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A gradient with a bright red block in the top-left corner, to see where the top
/// left ends up after orientation.
fn marked_gradient(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        if x < w / 5 && y < h / 5 {
            Rgb([250, 10, 10])
        } else {
            Rgb([(x * 200 / w) as u8, (y * 200 / h) as u8, 90])
        }
    })
}

fn jpeg_bytes(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .unwrap();
    out
}

fn png_bytes(img: &RgbaImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

/// One IFD entry: tag, type, count and its value bytes (in file byte order).
struct Entry {
    tag: u16,
    ty: u16,
    count: u32,
    value: Vec<u8>,
}

/// A tiny TIFF writer: IFD0 (with pointers to the Exif and GPS IFDs), written by hand
/// in either byte order.
struct Tiff {
    big_endian: bool,
}

impl Tiff {
    fn u16(&self, v: u16) -> [u8; 2] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u32(&self, v: u32) -> [u8; 4] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn short(&self, tag: u16, v: u16) -> Entry {
        Entry {
            tag,
            ty: 3,
            count: 1,
            value: self.u16(v).to_vec(),
        }
    }
    fn ascii(&self, tag: u16, s: &str) -> Entry {
        let mut value = s.as_bytes().to_vec();
        value.push(0);
        Entry {
            tag,
            ty: 2,
            count: value.len() as u32,
            value,
        }
    }
    fn rationals(&self, tag: u16, parts: &[(u32, u32)]) -> Entry {
        let mut value = Vec::new();
        for &(n, d) in parts {
            value.extend(self.u32(n));
            value.extend(self.u32(d));
        }
        Entry {
            tag,
            ty: 5,
            count: parts.len() as u32,
            value,
        }
    }

    /// Writes one IFD at `at`, its out-of-line values right after it.
    fn ifd(&self, at: u32, entries: &[Entry]) -> Vec<u8> {
        let table_len = 2 + 12 * entries.len() as u32 + 4;
        let mut data_at = at + table_len;
        let mut table = self.u16(entries.len() as u16).to_vec();
        let mut data = Vec::new();
        for e in entries {
            table.extend(self.u16(e.tag));
            table.extend(self.u16(e.ty));
            table.extend(self.u32(e.count));
            if e.value.len() <= 4 {
                let mut v = e.value.clone();
                v.resize(4, 0);
                table.extend(v);
            } else {
                table.extend(self.u32(data_at));
                data.extend(&e.value);
                if data.len() % 2 == 1 {
                    data.push(0);
                }
                data_at = at + table_len + data.len() as u32;
            }
        }
        table.extend(self.u32(0));
        table.extend(data);
        table
    }

    /// Orientation in IFD0, DateTimeOriginal in the Exif IFD, a position in the GPS
    /// IFD.
    fn exif(
        &self,
        orientation: u16,
        time: &str,
        lat: [(u32, u32); 3],
        lon: [(u32, u32); 3],
    ) -> Vec<u8> {
        let mut out = if self.big_endian {
            b"MM\0\x2a".to_vec()
        } else {
            b"II\x2a\0".to_vec()
        };
        out.extend(self.u32(8));
        // IFD0 has three entries, all inline: 2 + 3 * 12 + 4 = 42 bytes.
        let exif_at = 8 + 42;
        let exif_ifd = self.ifd(exif_at, &[self.ascii(0x9003, time)]);
        let gps_at = exif_at + exif_ifd.len() as u32;
        let gps_ifd = self.ifd(
            gps_at,
            &[
                self.ascii(0x0001, "N"),
                self.rationals(0x0002, &lat),
                self.ascii(0x0003, "E"),
                self.rationals(0x0004, &lon),
            ],
        );
        let ifd0 = self.ifd(
            8,
            &[
                self.short(0x0112, orientation),
                Entry {
                    tag: 0x8769,
                    ty: 4,
                    count: 1,
                    value: self.u32(exif_at).to_vec(),
                },
                Entry {
                    tag: 0x8825,
                    ty: 4,
                    count: 1,
                    value: self.u32(gps_at).to_vec(),
                },
            ],
        );
        assert_eq!(ifd0.len(), 42);
        out.extend(ifd0);
        out.extend(exif_ifd);
        out.extend(gps_ifd);
        out
    }
}

/// Puts an APP1 segment with `payload` right after the JPEG's SOI.
fn with_app1(jpeg: &[u8], payload: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(((payload.len() + 2) as u16).to_be_bytes());
    out.extend(payload);
    out.extend(&jpeg[2..]);
    out
}

fn exif_app1(tiff: Vec<u8>) -> Vec<u8> {
    let mut p = b"Exif\0\0".to_vec();
    p.extend(tiff);
    p
}

/// Beijing, Tiananmen: 39°54'27" N, 116°23'51.5" E.
const LAT: [(u32, u32); 3] = [(39, 1), (54, 1), (27, 1)];
const LON: [(u32, u32); 3] = [(116, 1), (23, 1), (515, 10)];

fn wav_silence(seconds: u32) -> Vec<u8> {
    let rate = 8000u32;
    let data_len = rate * 2 * seconds;
    let mut w = Vec::new();
    w.extend(b"RIFF");
    w.extend((36 + data_len).to_le_bytes());
    w.extend(b"WAVEfmt ");
    w.extend(16u32.to_le_bytes());
    w.extend(1u16.to_le_bytes()); // PCM
    w.extend(1u16.to_le_bytes()); // mono
    w.extend(rate.to_le_bytes());
    w.extend((rate * 2).to_le_bytes());
    w.extend(2u16.to_le_bytes());
    w.extend(16u16.to_le_bytes());
    w.extend(b"data");
    w.extend(data_len.to_le_bytes());
    w.resize(w.len() + data_len as usize, 0);
    w
}

fn stored_image(env: &Env, sha256: &str) -> image::DynamicImage {
    // Blobs have no file extension: the format comes from the content.
    image::ImageReader::open(env.blobs.path_of(sha256))
        .unwrap()
        .with_guessed_format()
        .unwrap()
        .decode()
        .unwrap()
}

#[test]
fn photo_with_exif_orientation_time_and_gps() {
    let env = Env::new();
    let sensor = jpeg_bytes(&marked_gradient(3000, 2000), 90);
    for big_endian in [false, true] {
        let tiff = Tiff { big_endian }.exif(6, "2026:11:20 09:04:31", LAT, LON);
        let bytes = with_app1(&sensor, &exif_app1(tiff));
        let path = env.file(&format!("photo-{big_endian}.jpg"), &bytes);

        let got = env
            .ingest(
                &path,
                EvidenceKind::Photo,
                Some("image/jpeg"),
                &EvidenceLimits::default(),
            )
            .unwrap();

        // The original is stored byte for byte, under the hash of the input.
        assert_eq!(got.original.sha256, sha256_hex(&bytes));
        assert_eq!(got.original.size, bytes.len() as u64);
        assert!(!got.original.already_present);
        assert_eq!(
            fs::read(env.blobs.path_of(&got.original.sha256)).unwrap(),
            bytes
        );
        assert_eq!(
            fs::read(&path).unwrap(),
            bytes,
            "the input file was touched"
        );
        assert_eq!(got.media_type, "image/jpeg");
        assert_eq!(got.format, MediaFormat::Jpeg);
        assert_eq!(got.exif_warning, None);

        let photo = got.photo.as_ref().unwrap();
        assert_eq!(photo.orientation, 6);
        // Orientation 6 = rotate 90° clockwise: the displayed image is portrait.
        assert_eq!((photo.width, photo.height), (2000, 3000));
        assert_eq!(
            photo.exif_time,
            Some(
                NaiveDate::from_ymd_opt(2026, 11, 20)
                    .unwrap()
                    .and_hms_opt(9, 4, 31)
                    .unwrap()
            )
        );
        let lat = photo.exif_lat.unwrap();
        let lon = photo.exif_lon.unwrap();
        assert!(
            (lat - (39.0 + 54.0 / 60.0 + 27.0 / 3600.0)).abs() < 1e-9,
            "{lat}"
        );
        assert!(
            (lon - (116.0 + 23.0 / 60.0 + 51.5 / 3600.0)).abs() < 1e-9,
            "{lon}"
        );

        // The display copy and thumbnail are stored, rotated before being resized.
        assert_eq!((photo.display.width, photo.display.height), (1067, 1600));
        assert_eq!((photo.thumbnail.width, photo.thumbnail.height), (213, 320));
        let display = stored_image(&env, &photo.display.sha256).into_rgb8();
        assert_eq!(display.dimensions(), (1067, 1600));
        // The red top-left block of the sensor image is now at the top right.
        let top_right = display.get_pixel(1067 - 20, 20).0;
        let top_left = display.get_pixel(20, 20).0;
        assert!(top_right[0] > 200 && top_right[1] < 60, "{top_right:?}");
        assert!(top_left[0] < 100, "{top_left:?}");
        let thumb = stored_image(&env, &photo.thumbnail.sha256);
        assert_eq!((thumb.width(), thumb.height()), (213, 320));
        assert_eq!(
            fs::read(env.blobs.path_of(&photo.display.sha256))
                .unwrap()
                .len() as u64,
            photo.display.size
        );
        assert!(env.blobs.verify(&photo.thumbnail.sha256).is_ok());
        assert_eq!(got.upload_copy, None);

        // The reference for the document: device time, officer, step, and the EXIF
        // position since the device gave none.
        let r = got.evidence_ref();
        assert_eq!(r.sha256, got.original.sha256);
        assert_eq!(r.kind, EvidenceKind::Photo);
        assert_eq!(r.captured_by, "officer-1");
        assert_eq!(r.device_id, "device-A");
        assert_eq!(r.step, InspectionStep::Findings);
        assert_eq!(r.lat, Some(lat));
        assert_eq!(r.lon, Some(lon));
    }
    assert_eq!(env.tmp_files(), 0);
}

#[test]
fn same_file_twice_is_stored_once() {
    let env = Env::new();
    let bytes = jpeg_bytes(&marked_gradient(640, 480), 85);
    let path = env.file("p.jpg", &bytes);
    let limits = EvidenceLimits::default();
    let first = env
        .ingest(&path, EvidenceKind::Photo, None, &limits)
        .unwrap();
    let files = env.blob_files();
    // Original, display copy (the photo is small: a re-encoding) and thumbnail.
    assert_eq!(files.len(), 3);
    let again = env.file("copy-of-p.jpg", &bytes);
    let second = env
        .ingest(&again, EvidenceKind::Photo, None, &limits)
        .unwrap();
    assert!(!first.original.already_present);
    assert!(second.original.already_present);
    assert_eq!(first.original.sha256, second.original.sha256);
    assert_eq!(first.photo, second.photo);
    assert_eq!(env.blob_files(), files);
    let photo = first.photo.unwrap();
    assert_eq!(
        (photo.display.width, photo.display.height),
        (640, 480),
        "never enlarged"
    );
    assert_eq!((photo.thumbnail.width, photo.thumbnail.height), (320, 240));
}

#[test]
fn png_signature_with_transparency() {
    let env = Env::new();
    let img = RgbaImage::from_fn(400, 100, |x, y| {
        if (y as i32 - 50).abs() < 3 && x > 20 && x < 380 {
            Rgba([0, 0, 0, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    });
    let bytes = png_bytes(&img);
    let path = env.file("sig.png", &bytes);
    let got = env
        .ingest(
            &path,
            EvidenceKind::Signature,
            Some("image/png"),
            &EvidenceLimits::default(),
        )
        .unwrap();
    assert_eq!(got.media_type, "image/png");
    assert_eq!(got.original.sha256, sha256_hex(&bytes));
    let photo = got.photo.unwrap();
    assert_eq!((photo.width, photo.height), (400, 100));
    assert_eq!(photo.orientation, 1);
    assert_eq!(photo.exif_time, None);
    assert_eq!(got.exif_warning, None, "no EXIF is not a broken EXIF");
    // Transparent background is white in the JPEG display copy, not black.
    let display = stored_image(&env, &photo.display.sha256).into_rgb8();
    let bg = display.get_pixel(5, 5).0;
    assert!(bg.iter().all(|&c| c > 240), "{bg:?}");
    let stroke = display.get_pixel(200, 50).0;
    assert!(stroke.iter().all(|&c| c < 60), "{stroke:?}");
}

#[test]
fn png_declared_as_jpeg_is_refused() {
    let env = Env::new();
    let path = env.file("p.jpg", &png_bytes(&RgbaImage::new(8, 8)));
    let err = env.refuse(
        &path,
        EvidenceKind::Photo,
        Some("image/jpeg"),
        &EvidenceLimits::default(),
    );
    assert_eq!(
        err.to_string().split('；').next().unwrap(),
        "文件内容不是 JPEG 图像（检测到：PNG 图像）"
    );
}

#[test]
fn truncated_jpeg_is_refused() {
    let env = Env::new();
    let bytes = jpeg_bytes(&marked_gradient(800, 600), 90);
    let path = env.file("cut.jpg", &bytes[..bytes.len() / 2]);
    let err = env.refuse(
        &path,
        EvidenceKind::Photo,
        Some("image/jpeg"),
        &EvidenceLimits::default(),
    );
    assert!(
        matches!(err, EvidenceError::Corrupt { format: "JPEG", .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.starts_with("JPEG 文件已损坏或不完整"), "{msg}");
    assert!(msg.contains("意外结束"), "{msg}");
    assert!(msg.contains("R-REC-5"), "{msg}");
}

#[test]
fn truncated_png_is_refused() {
    let env = Env::new();
    let img = RgbaImage::from_fn(300, 200, |x, y| Rgba([x as u8, y as u8, 7, 255]));
    let bytes = png_bytes(&img);
    for cut in [bytes.len() / 2, bytes.len() - 5] {
        let path = env.file("cut.png", &bytes[..cut]);
        let err = env.refuse(&path, EvidenceKind::Photo, None, &EvidenceLimits::default());
        assert!(
            matches!(err, EvidenceError::Corrupt { format: "PNG", .. }),
            "{err:?}"
        );
    }
}

#[test]
fn jpeg_with_broken_entropy_data_is_refused_or_decoded() {
    // Garbage in the middle of the scan keeps the structure; whatever the decoder
    // makes of it, a refusal must store nothing.
    let env = Env::new();
    let mut bytes = jpeg_bytes(&marked_gradient(320, 240), 90);
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 64] {
        *b = 0xFF;
    }
    let path = env.file("garbled.jpg", &bytes);
    let before = env.blob_files();
    if env
        .ingest(&path, EvidenceKind::Photo, None, &EvidenceLimits::default())
        .is_err()
    {
        assert_eq!(env.blob_files(), before);
    }
}

#[test]
fn text_file_named_jpg_is_refused() {
    let env = Env::new();
    let path = env.file("photo.jpg", "现场照片\nthis is not a photo\n".as_bytes());
    let err = env.refuse(
        &path,
        EvidenceKind::Photo,
        Some("image/jpeg"),
        &EvidenceLimits::default(),
    );
    assert!(
        matches!(err, EvidenceError::ContentMismatch { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("文件内容不是 JPEG 图像（检测到：文本内容）"),
        "{err}"
    );
    // Without a claimed media type, the kind says what was expected.
    let err = env.refuse(&path, EvidenceKind::Photo, None, &EvidenceLimits::default());
    assert!(
        err.to_string()
            .starts_with("文件内容不是照片（JPEG、PNG 或 HEIC 图像）（检测到：文本内容）"),
        "{err}"
    );
    // Binary rubbish is described by its first bytes.
    let path = env.file(
        "rubbish.jpg",
        &[0x00, 0x01, 0x02, 0xFE, 0x10, 0x20, 0x30, 0x40, 0x50],
    );
    let err = env.refuse(&path, EvidenceKind::Photo, None, &EvidenceLimits::default());
    assert!(err.to_string().contains("开头字节 00 01 02 FE"), "{err}");
}

#[test]
fn zero_byte_file_is_refused() {
    let env = Env::new();
    let path = env.file("empty.jpg", b"");
    for kind in [
        EvidenceKind::Photo,
        EvidenceKind::Audio,
        EvidenceKind::Video,
    ] {
        let err = env.refuse(&path, kind, None, &EvidenceLimits::default());
        assert!(matches!(err, EvidenceError::Empty), "{err:?}");
        assert!(err.to_string().contains("0 字节"));
    }
}

#[test]
fn oversized_files_are_refused_with_kind_size_and_limit() {
    let env = Env::new();
    let bytes = jpeg_bytes(&marked_gradient(640, 480), 95);
    let path = env.file("big.jpg", &bytes);
    let limits = EvidenceLimits {
        photo_max_bytes: bytes.len() as u64 - 1,
        ..EvidenceLimits::default()
    };
    let err = env.refuse(&path, EvidenceKind::Photo, None, &limits);
    match &err {
        EvidenceError::TooLarge { kind, size, limit } => {
            assert_eq!(*kind, EvidenceKind::Photo);
            assert_eq!(*size, bytes.len() as u64);
            assert_eq!(*limit, bytes.len() as u64 - 1);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().starts_with("照片文件过大："), "{err}");

    let wav = env.file("long.wav", &wav_silence(2));
    let limits = EvidenceLimits {
        audio_max_bytes: 16 * 1024,
        ..EvidenceLimits::default()
    };
    let err = env.refuse(&wav, EvidenceKind::Audio, None, &limits);
    assert_eq!(
        err.to_string().split('；').next().unwrap(),
        "录音文件过大：0.031 MB，超过上限 0.016 MB"
    );
    // Defaults in MB as officers read them.
    let limits = EvidenceLimits::default();
    assert_eq!(limits.photo_max_bytes, 30 * MIB);
    let err = EvidenceError::TooLarge {
        kind: EvidenceKind::Video,
        size: 5 * 1024 * MIB,
        limit: limits.video_max_bytes,
    };
    assert!(
        err.to_string()
            .starts_with("录像文件过大：5120 MB，超过上限 4096 MB"),
        "{err}"
    );
}

#[test]
fn too_many_pixels_is_refused() {
    let env = Env::new();
    let path = env.file("wide.jpg", &jpeg_bytes(&marked_gradient(1000, 500), 80));
    let limits = EvidenceLimits {
        photo_max_pixels: 400_000,
        ..EvidenceLimits::default()
    };
    let err = env.refuse(&path, EvidenceKind::Photo, None, &limits);
    assert!(matches!(
        err,
        EvidenceError::TooManyPixels {
            width: 1000,
            height: 500,
            ..
        }
    ));
    assert!(
        err.to_string()
            .starts_with("图像像素过多：1000×500（0.5 百万像素），上限 0.4 百万像素"),
        "{err}"
    );
}

#[test]
fn malformed_exif_is_a_warning_not_a_refusal() {
    let env = Env::new();
    let mut garbage = b"Exif\0\0".to_vec();
    garbage.extend(b"II\x2a\0\xff\xff\xff\x7fnot a tiff at all, just noise \x01\x02\x03");
    let bytes = with_app1(&jpeg_bytes(&marked_gradient(600, 400), 85), &garbage);
    let path = env.file("badexif.jpg", &bytes);
    let got = env
        .ingest(
            &path,
            EvidenceKind::Photo,
            Some("image/jpeg"),
            &EvidenceLimits::default(),
        )
        .unwrap();
    let warning = got.exif_warning.as_deref().expect("a warning");
    assert!(warning.contains("EXIF"), "{warning}");
    assert_eq!(got.original.sha256, sha256_hex(&bytes));
    let photo = got.photo.unwrap();
    assert_eq!(
        (photo.width, photo.height, photo.orientation),
        (600, 400, 1)
    );
    assert_eq!(photo.exif_time, None);

    // An EXIF block that parses but carries nonsense values: kept, with a warning.
    let tiff = Tiff { big_endian: true }.exif(
        9,
        "2026:13:45 99:00:00",
        [(100, 1), (0, 1), (0, 1)],
        [(1, 0), (0, 1), (0, 1)],
    );
    let bytes = with_app1(
        &jpeg_bytes(&marked_gradient(600, 400), 85),
        &exif_app1(tiff),
    );
    let path = env.file("oddexif.jpg", &bytes);
    let got = env
        .ingest(&path, EvidenceKind::Photo, None, &EvidenceLimits::default())
        .unwrap();
    let warning = got.exif_warning.as_deref().expect("a warning");
    assert!(warning.contains("方向值无效"), "{warning}");
    assert!(warning.contains("拍摄时间无效"), "{warning}");
    let photo = got.photo.unwrap();
    assert_eq!(
        (photo.width, photo.height, photo.orientation),
        (600, 400, 1)
    );
    assert_eq!(
        (photo.exif_time, photo.exif_lat, photo.exif_lon),
        (None, None, None)
    );
}

#[test]
fn broken_image_with_exif_is_still_refused() {
    let env = Env::new();
    let tiff = Tiff { big_endian: false }.exif(6, "2026:11:20 09:04:31", LAT, LON);
    let bytes = with_app1(
        &jpeg_bytes(&marked_gradient(600, 400), 85),
        &exif_app1(tiff),
    );
    let path = env.file("cut.jpg", &bytes[..bytes.len() * 2 / 3]);
    let err = env.refuse(&path, EvidenceKind::Photo, None, &EvidenceLimits::default());
    assert!(matches!(err, EvidenceError::Corrupt { .. }), "{err:?}");
}

/// A HEIC written by libheif's `heif-enc` (x265) from `photo-1.jpg`, with an `irot`
/// box added (90° clockwise) — as an iPhone writes it: the turn both in the container
/// and in the EXIF orientation tag (6). See `data/evidence/README.md`.
fn heic_fixture() -> Vec<u8> {
    fs::read(fixtures_dir().join("photo-rotated.heic")).unwrap()
}

#[test]
fn heic_photo_is_decoded_and_turned_once() {
    let env = Env::new();
    let bytes = heic_fixture();
    let path = env.file("IMG_0001.HEIC", &bytes);
    let got = env
        .ingest(
            &path,
            EvidenceKind::Photo,
            Some("image/heic"),
            &EvidenceLimits::default(),
        )
        .unwrap();
    assert_eq!(got.media_type, "image/heic");
    assert_eq!(got.format, MediaFormat::Heic);
    assert_eq!(got.original.sha256, sha256_hex(&bytes));
    assert_eq!(
        fs::read(env.blobs.path_of(&got.original.sha256)).unwrap(),
        bytes
    );
    assert_eq!(got.exif_warning, None);
    let photo = got.photo.unwrap();
    // The sensor image is 96×64; `irot` turns it once (the EXIF tag is not applied
    // again on top).
    assert_eq!((photo.width, photo.height), (64, 96));
    assert_eq!(photo.orientation, 6);
    assert_eq!(
        photo.exif_time,
        Some(
            NaiveDate::from_ymd_opt(2026, 11, 20)
                .unwrap()
                .and_hms_opt(9, 4, 31)
                .unwrap()
        )
    );
    assert!((photo.exif_lat.unwrap() - 39.9075).abs() < 1e-9);
    let display = stored_image(&env, &photo.display.sha256).into_rgb8();
    assert_eq!(display.dimensions(), (64, 96));
    let top_right = display.get_pixel(58, 6).0;
    let top_left = display.get_pixel(6, 6).0;
    assert!(top_right[0] > 150 && top_right[1] < 100, "{top_right:?}");
    assert!(top_left[0] < 100, "{top_left:?}");
}

#[test]
fn broken_or_misdeclared_heic_is_refused() {
    let env = Env::new();
    let bytes = heic_fixture();
    let limits = EvidenceLimits::default();

    // Cut short: the image data is missing.
    let cut = env.file("cut.heic", &bytes[..bytes.len() - 200]);
    let err = env.refuse(&cut, EvidenceKind::Photo, None, &limits);
    assert!(
        matches!(err, EvidenceError::Corrupt { format: "HEIC", .. }),
        "{err:?}"
    );

    // Only a header.
    let mut header = Vec::new();
    header.extend(24u32.to_be_bytes());
    header.extend(b"ftypheic");
    header.extend(0u32.to_be_bytes());
    header.extend(b"mif1heic");
    header.extend(b"\0\0\0\x0cmeta\0\0\0\0");
    let path = env.file("header.heic", &header);
    let err = env.refuse(&path, EvidenceKind::Photo, None, &limits);
    assert!(
        matches!(err, EvidenceError::Corrupt { format: "HEIC", .. })
            || matches!(&err, EvidenceError::UnsupportedFormat { hint, .. } if hint.contains("兼容性最佳")),
        "{err:?}"
    );

    // Claimed to be a JPEG, or given as a signature.
    let path = env.file("IMG_0001.JPG", &bytes);
    let err = env.refuse(&path, EvidenceKind::Photo, Some("image/jpeg"), &limits);
    assert!(
        err.to_string()
            .starts_with("文件内容不是 JPEG 图像（检测到：HEIC 图像）"),
        "{err}"
    );
    let err = env.refuse(&path, EvidenceKind::Signature, None, &limits);
    assert!(err.to_string().contains("检测到：HEIC 图像"), "{err}");

    // Too many pixels for the limit: refused before decoding.
    let small = EvidenceLimits {
        photo_max_pixels: 1000,
        ..EvidenceLimits::default()
    };
    let err = env.refuse(&path, EvidenceKind::Photo, None, &small);
    assert!(
        matches!(
            err,
            EvidenceError::TooManyPixels {
                width: 64,
                height: 96,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn avif_is_unsupported_with_a_hint() {
    let env = Env::new();
    let mut bytes = Vec::new();
    bytes.extend(28u32.to_be_bytes());
    bytes.extend(b"ftypavif");
    bytes.extend(0u32.to_be_bytes());
    bytes.extend(b"avifmif1miaf");
    bytes.extend(b"\0\0\0\x0cmeta\0\0\0\0");
    let path = env.file("IMG_0002.avif", &bytes);
    for declared in [None, Some("image/avif"), Some("image/jpeg")] {
        let err = env.refuse(
            &path,
            EvidenceKind::Photo,
            declared,
            &EvidenceLimits::default(),
        );
        match &err {
            EvidenceError::UnsupportedFormat { format, hint } => {
                assert_eq!(format, "AVIF");
                assert!(hint.contains("JPEG"), "{hint}");
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().starts_with("不支持的 AVIF 格式"), "{err}");
    }
}

#[test]
fn wav_claimed_as_video_is_refused_and_accepted_as_audio() {
    let env = Env::new();
    let bytes = wav_silence(1);
    let path = env.file("a.wav", &bytes);
    let err = env.refuse(&path, EvidenceKind::Video, None, &EvidenceLimits::default());
    assert!(
        err.to_string()
            .starts_with("文件内容不是录像（MP4 或 MOV）（检测到：WAV 录音）"),
        "{err}"
    );
    let err = env.refuse(
        &path,
        EvidenceKind::Audio,
        Some("audio/mpeg"),
        &EvidenceLimits::default(),
    );
    assert!(
        err.to_string()
            .starts_with("文件内容不是 MP3 录音（检测到：WAV 录音）"),
        "{err}"
    );

    let got = env
        .ingest(
            &path,
            EvidenceKind::Audio,
            Some("audio/wav"),
            &EvidenceLimits::default(),
        )
        .unwrap();
    assert_eq!(got.media_type, "audio/wav");
    assert_eq!(got.format, MediaFormat::Wav);
    assert_eq!(got.original.sha256, sha256_hex(&bytes));
    assert_eq!(got.photo, None);
    assert_eq!(
        fs::read(env.blobs.path_of(&got.original.sha256)).unwrap(),
        bytes
    );
    assert_eq!(env.blob_files().len(), 1);
}

#[test]
fn audio_and_video_containers_by_content() {
    let env = Env::new();
    let ftyp = |major: &[u8; 4], compat: &[&[u8; 4]]| {
        let mut b = Vec::new();
        b.extend((16 + 4 * compat.len() as u32).to_be_bytes());
        b.extend(b"ftyp");
        b.extend(major);
        b.extend(0u32.to_be_bytes());
        for c in compat {
            b.extend(*c);
        }
        b.extend(b"\0\0\0\x08free\0\0\0\x10mdat0123456789ab");
        b
    };
    let cases: Vec<(&str, Vec<u8>, EvidenceKind, &str)> = vec![
        (
            "a.m4a",
            ftyp(b"M4A ", &[b"M4A ", b"isom"]),
            EvidenceKind::Audio,
            "audio/mp4",
        ),
        (
            "b.m4a",
            ftyp(b"mp42", &[b"isom"]),
            EvidenceKind::Audio,
            "audio/mp4",
        ),
        (
            "c.mp4",
            ftyp(b"isom", &[b"isom", b"avc1"]),
            EvidenceKind::Video,
            "video/mp4",
        ),
        (
            "d.mov",
            ftyp(b"qt  ", &[b"qt  "]),
            EvidenceKind::Video,
            "video/quicktime",
        ),
        (
            "e.opus",
            b"OggS\0\x02\0\0\0\0\0\0\0\0OpusHead".to_vec(),
            EvidenceKind::Audio,
            "audio/ogg",
        ),
        (
            "f.mp3",
            b"ID3\x04\0\0\0\0\0\x10rest of tag".to_vec(),
            EvidenceKind::Audio,
            "audio/mpeg",
        ),
        (
            "g.mp3",
            vec![0xFF, 0xFB, 0x90, 0x64, 0, 0, 0, 0],
            EvidenceKind::Audio,
            "audio/mpeg",
        ),
        (
            "h.aac",
            vec![0xFF, 0xF1, 0x50, 0x80, 0x2E, 0x7F, 0xFC],
            EvidenceKind::Audio,
            "audio/aac",
        ),
    ];
    for (name, bytes, kind, media_type) in cases {
        let path = env.file(name, &bytes);
        let got = env
            .ingest(&path, kind, None, &EvidenceLimits::default())
            .unwrap();
        assert_eq!(got.media_type, media_type, "{name}");
        assert_eq!(got.original.sha256, sha256_hex(&bytes), "{name}");
    }
    // M4A audio is not a video; a MOV is not a recording.
    let m4a = env.file("x.m4a", &ftyp(b"M4A ", &[]));
    let err = env.refuse(&m4a, EvidenceKind::Video, None, &EvidenceLimits::default());
    assert!(err.to_string().contains("检测到：M4A 录音"), "{err}");
    let mov = env.file("x.mov", &ftyp(b"qt  ", &[]));
    let err = env.refuse(
        &mov,
        EvidenceKind::Audio,
        Some("audio/mp4"),
        &EvidenceLimits::default(),
    );
    assert!(err.to_string().contains("检测到：MOV 录像"), "{err}");
    // A photo is not a recording.
    let jpg = env.file("x.jpg", &jpeg_bytes(&marked_gradient(16, 16), 80));
    let err = env.refuse(&jpg, EvidenceKind::Audio, None, &EvidenceLimits::default());
    assert!(err.to_string().contains("检测到：JPEG 图像"), "{err}");
    // Recognised but not accepted: a clear "unsupported".
    let mkv = env.file("x.webm", &[0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81]);
    let err = env.refuse(&mkv, EvidenceKind::Video, None, &EvidenceLimits::default());
    assert!(
        matches!(err, EvidenceError::UnsupportedFormat { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("MP4 或 MOV"), "{err}");
}

#[test]
fn documents_pdf_must_be_complete() {
    let env = Env::new();
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let path = env.file("scan.pdf", &pdf);
    let got = env
        .ingest(
            &path,
            EvidenceKind::Document,
            Some("application/pdf"),
            &EvidenceLimits::default(),
        )
        .unwrap();
    assert_eq!(got.media_type, "application/pdf");
    let cut = env.file("cut.pdf", &pdf[..20]);
    let err = env.refuse(
        &cut,
        EvidenceKind::Document,
        None,
        &EvidenceLimits::default(),
    );
    assert!(
        matches!(err, EvidenceError::Corrupt { format: "PDF", .. }),
        "{err:?}"
    );
}

#[test]
fn very_large_photo_gets_a_reduced_upload_copy_when_allowed() {
    let env = Env::new();
    let bytes = jpeg_bytes(&marked_gradient(5000, 1000), 92);
    let path = env.file("wide.jpg", &bytes);

    let got = env
        .ingest(&path, EvidenceKind::Photo, None, &EvidenceLimits::default())
        .unwrap();
    assert_eq!(got.upload_copy, None, "not asked for");

    let limits = EvidenceLimits {
        allow_reduced_upload_copy: true,
        ..EvidenceLimits::default()
    };
    let got = env
        .ingest(&path, EvidenceKind::Photo, None, &limits)
        .unwrap();
    let copy = got.upload_copy.expect("long side 5000 > 4096");
    assert_eq!((copy.width, copy.height), (2560, 512));
    assert_ne!(copy.sha256, got.original.sha256);
    assert!(copy.size < got.original.size);
    // Both hashes are there; both blobs are stored; the original is untouched.
    assert_eq!(got.original.sha256, sha256_hex(&bytes));
    assert!(env.blobs.contains(&copy.sha256));
    assert!(env.blobs.contains(&got.original.sha256));
    let img = stored_image(&env, &copy.sha256);
    assert_eq!((img.width(), img.height()), (2560, 512));

    // Small photos never get one.
    let small = env.file("small.jpg", &jpeg_bytes(&marked_gradient(800, 600), 80));
    assert_eq!(
        env.ingest(&small, EvidenceKind::Photo, None, &limits)
            .unwrap()
            .upload_copy,
        None
    );
}

/// Peak resident memory of this process, in bytes (Linux).
fn peak_rss() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[test]
fn large_video_is_streamed_not_read_into_memory() {
    const SIZE: u64 = 300 * MIB;
    let env = Env::new();
    let path = env.dir.path().join("long.mp4");
    {
        let mut f = fs::File::create(&path).unwrap();
        f.write_all(b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2")
            .unwrap();
        f.write_all(b"\0\0\0\x01mdat").unwrap();
        f.set_len(SIZE).unwrap(); // the rest: zeros, sparse on disk
    }
    let rss_before = peak_rss();
    let got = env
        .ingest(
            &path,
            EvidenceKind::Video,
            Some("video/mp4"),
            &EvidenceLimits::default(),
        )
        .unwrap();
    if let (Some(before), Some(after)) = (rss_before, peak_rss()) {
        // Other tests run alongside, so allow some growth, but far less than the file.
        assert!(
            after.saturating_sub(before) < 150 * MIB,
            "peak RSS grew by {}",
            after - before
        );
    }
    assert_eq!(got.media_type, "video/mp4");
    assert_eq!(got.original.size, SIZE);

    let mut hasher = Sha256::new();
    let mut f = fs::File::open(&path).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    assert_eq!(got.original.sha256, hex::encode(hasher.finalize()));
    assert_eq!(
        fs::metadata(env.blobs.path_of(&got.original.sha256))
            .unwrap()
            .len(),
        SIZE
    );
    assert_eq!(env.tmp_files(), 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn sniffer_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = sniff(&bytes);
    }

    #[test]
    fn sniffer_never_panics_on_container_like_heads(
        prefix in prop_oneof![
            Just(b"\0\0\0\x18ftyp".to_vec()),
            Just(b"\xff\xff\xff\xffftyp".to_vec()),
            Just(b"RIFF".to_vec()),
            Just(vec![0xFF]),
            Just(b"ID3".to_vec()),
            Just(b"\0\0\0\x08mdat".to_vec()),
        ],
        rest in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut bytes = prefix;
        bytes.extend(rest);
        let _ = sniff(&bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Arbitrary bytes behind a JPEG or PNG signature: ingest never panics, and a
    /// refusal stores nothing.
    #[test]
    fn ingest_of_image_like_rubbish_never_panics(
        png in any::<bool>(),
        rest in proptest::collection::vec(any::<u8>(), 0..2000),
    ) {
        let env = Env::new();
        let mut bytes = if png { b"\x89PNG\r\n\x1a\n".to_vec() } else { vec![0xFF, 0xD8, 0xFF] };
        bytes.extend(rest);
        let path = env.file("x", &bytes);
        let before = env.blob_files();
        if env.ingest(&path, EvidenceKind::Photo, None, &EvidenceLimits::default()).is_err() {
            prop_assert_eq!(env.blob_files(), before);
            prop_assert_eq!(env.tmp_files(), 0);
        }
    }
}

/// Small real evidence files for other tests (`core/tests/data/evidence/`).
fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/evidence")
}

/// Writes the fixture files. Run by hand when they need to change:
/// `cargo test -p liuhen-core --test it -- --ignored evidence::write_fixtures`.
#[test]
#[ignore]
fn write_fixtures() {
    let dir = fixtures_dir();
    fs::create_dir_all(&dir).unwrap();
    let tiff = Tiff { big_endian: false }.exif(6, "2026:11:20 09:04:31", LAT, LON);
    let photo = with_app1(&jpeg_bytes(&marked_gradient(96, 64), 75), &exif_app1(tiff));
    fs::write(dir.join("photo-1.jpg"), photo).unwrap();
    let photo2 = RgbImage::from_fn(64, 48, |x, y| Rgb([30, (x * 4) as u8, (y * 5) as u8]));
    fs::write(dir.join("photo-2.jpg"), jpeg_bytes(&photo2, 75)).unwrap();
    let sig = RgbaImage::from_fn(120, 40, |x, y| {
        let on_stroke = (y as i32 - 20 - ((x as f32 / 8.0).sin() * 8.0) as i32).abs() < 2;
        if on_stroke && (10..110).contains(&x) {
            Rgba([10, 10, 60, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    });
    fs::write(dir.join("signature.png"), png_bytes(&sig)).unwrap();
    let mut wav = wav_silence(0);
    let data_len = 1600u32; // 0.1 s of 8 kHz 16-bit silence
    wav[4..8].copy_from_slice(&(36 + data_len).to_le_bytes());
    wav[40..44].copy_from_slice(&data_len.to_le_bytes());
    wav.resize(44 + data_len as usize, 0);
    fs::write(dir.join("audio.wav"), wav).unwrap();
    let mut mp4 = b"\0\0\0\x18ftypisom\0\0\x02\0isommp42".to_vec();
    mp4.extend(b"\0\0\0\x10mdat\0\0\0\0\0\0\0\0");
    fs::write(dir.join("video.mp4"), mp4).unwrap();
    let pdf =
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
    fs::write(dir.join("document.pdf"), pdf).unwrap();
}

#[test]
fn fixtures_are_accepted() {
    let env = Env::new();
    let limits = EvidenceLimits::default();
    let cases = [
        ("photo-1.jpg", EvidenceKind::Photo, "image/jpeg"),
        ("photo-2.jpg", EvidenceKind::Photo, "image/jpeg"),
        ("photo-rotated.heic", EvidenceKind::Photo, "image/heic"),
        ("signature.png", EvidenceKind::Signature, "image/png"),
        ("audio.wav", EvidenceKind::Audio, "audio/wav"),
        ("video.mp4", EvidenceKind::Video, "video/mp4"),
        ("document.pdf", EvidenceKind::Document, "application/pdf"),
    ];
    for (name, kind, media_type) in cases {
        let path = fixtures_dir().join(name);
        let got = env
            .ingest(&path, kind, Some(media_type), &limits)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got.media_type, media_type, "{name}");
        assert_eq!(got.original.sha256, sha256_hex(&fs::read(&path).unwrap()));
        assert_eq!(got.exif_warning, None, "{name}");
    }
    let photo = env
        .ingest(
            &fixtures_dir().join("photo-1.jpg"),
            EvidenceKind::Photo,
            None,
            &limits,
        )
        .unwrap()
        .photo
        .unwrap();
    assert_eq!((photo.width, photo.height, photo.orientation), (64, 96, 6));
    assert!(photo.exif_time.is_some() && photo.exif_lat.is_some());
}
