//! Making the derived images of a photo fast (issue 19 item 5): a JPEG is decoded at
//! the smallest DCT scale that still covers the largest derived image (as
//! `vipsthumbnail` does), resized with SIMD convolution and encoded with a SIMD JPEG
//! encoder. The scaled decode still entropy-decodes every block of the file, so a
//! damaged stream is refused as by a full decode; only the inverse DCT and the colour
//! conversion run on fewer pixels.

use std::io::Cursor;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;
use jpeg_decoder::PixelFormat;

/// A JPEG decoded at reduced scale, with the size of the full image.
pub(super) struct Scaled {
    /// The pixels, at 1/8, 1/4, 1/2 or full scale (before any EXIF turn).
    pub img: RgbImage,
    /// Width of the full image.
    pub full_width: u32,
    /// Height of the full image.
    pub full_height: u32,
}

/// Why a scaled decode did not give pixels.
pub(super) enum ScaledError {
    /// The file is not a decodable JPEG (the decoder's message).
    Corrupt(String),
    /// The header says `(width, height)` and that is refused by `check`.
    Refused(super::EvidenceError),
    /// A pixel format this path does not handle (CMYK, 16-bit grey): decode in full.
    Unsupported,
}

/// Decodes `data` at the smallest scale whose long side is at least `long_side` (or
/// full size if the image is smaller). `check(width, height)` vets the full size
/// from the header before any pixel is decoded; `max_bytes` bounds the decoder's
/// buffers.
pub(super) fn decode_jpeg_scaled(
    data: &[u8],
    long_side: u32,
    max_bytes: usize,
    check: impl FnOnce(u32, u32) -> Result<(), super::EvidenceError>,
) -> Result<Scaled, ScaledError> {
    let mut d = jpeg_decoder::Decoder::new(Cursor::new(data));
    d.set_max_decoding_buffer_size(max_bytes);
    d.read_info()
        .map_err(|e| ScaledError::Corrupt(e.to_string()))?;
    let info = d
        .info()
        .ok_or_else(|| ScaledError::Corrupt("no frame header".into()))?;
    let (full_width, full_height) = (u32::from(info.width), u32::from(info.height));
    check(full_width, full_height).map_err(ScaledError::Refused)?;
    if !matches!(info.pixel_format, PixelFormat::RGB24 | PixelFormat::L8) {
        return Err(ScaledError::Unsupported);
    }
    let want = u16::try_from(long_side).unwrap_or(u16::MAX);
    let (w, h) = d
        .scale(want, want)
        .map_err(|e| ScaledError::Corrupt(e.to_string()))?;
    let pixels = d
        .decode()
        .map_err(|e| ScaledError::Corrupt(e.to_string()))?;
    let (w, h) = (u32::from(w), u32::from(h));
    let rgb = match info.pixel_format {
        PixelFormat::L8 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
        _ => pixels,
    };
    let img = RgbImage::from_raw(w, h, rgb)
        .ok_or_else(|| ScaledError::Corrupt(format!("decoded size does not match {w}×{h}")))?;
    Ok(Scaled {
        img,
        full_width,
        full_height,
    })
}

/// A copy of `img` whose long side is `max_long_side` (rounded as before: the other
/// side in proportion), or `None` when it is already that small. Bilinear
/// convolution, as the `Triangle` filter used before.
pub(super) fn shrink(img: &RgbImage, max_long_side: u32) -> Result<Option<RgbImage>, String> {
    let (w, h) = img.dimensions();
    let long = w.max(h);
    if long <= max_long_side {
        return Ok(None);
    }
    let scale = f64::from(max_long_side) / f64::from(long);
    let nw = ((f64::from(w) * scale).round() as u32).clamp(1, max_long_side);
    let nh = ((f64::from(h) * scale).round() as u32).clamp(1, max_long_side);
    let src = ImageRef::new(w, h, img.as_raw(), PixelType::U8x3).map_err(|e| e.to_string())?;
    let mut dst = Image::new(nw, nh, PixelType::U8x3);
    Resizer::new()
        .resize(
            &src,
            &mut dst,
            &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear)),
        )
        .map_err(|e| e.to_string())?;
    RgbImage::from_raw(nw, nh, dst.into_vec())
        .map(Some)
        .ok_or_else(|| "resized buffer does not match its size".to_string())
}

/// JPEG bytes of `img` at `quality` (4:2:0, as the encoder used before).
pub(super) fn encode_jpeg(img: &RgbImage, quality: u8) -> Result<Vec<u8>, String> {
    let (w, h) = img.dimensions();
    let (w, h) = (
        u16::try_from(w).map_err(|_| format!("width {w} too large for JPEG"))?,
        u16::try_from(h).map_err(|_| format!("height {h} too large for JPEG"))?,
    );
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, quality);
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    enc.encode(img.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| e.to_string())?;
    Ok(out)
}
