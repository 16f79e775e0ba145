import Foundation

/// A photo exactly as the camera wrote it (issue 21: evidence is the original file,
/// EXIF included; the app never re-encodes it).
public struct CapturedPhoto: Equatable, Sendable {
    /// The bytes the camera wrote.
    public var data: Data
    /// Their media type, from the content (`image/jpeg`, `image/heic`), or
    /// `application/octet-stream` when unknown: the core sniffs the content anyway.
    public var mediaType: String

    /// Creates a photo.
    public init(data: Data, mediaType: String) {
        self.data = data
        self.mediaType = mediaType
    }

    /// The media type from the first bytes: JPEG (`FF D8 FF`), HEIC (ISO-BMFF `ftyp`
    /// brand heic/heix/mif1), else octet-stream.
    public static func sniffMediaType(_ data: Data) -> String {
        let head = [UInt8](data.prefix(12))
        if head.count >= 3, head[0] == 0xFF, head[1] == 0xD8, head[2] == 0xFF { return "image/jpeg" }
        if head.count >= 12, Array(head[4...7]) == Array("ftyp".utf8) {
            let brand = String(decoding: head[8...11], as: UTF8.self)
            if ["heic", "heix", "mif1", "heif"].contains(brand) { return "image/heic" }
        }
        return "application/octet-stream"
    }

    /// File extension for the capture directory.
    public var fileExtension: String {
        switch mediaType {
        case "image/jpeg": return "jpg"
        case "image/heic": return "heic"
        default: return "img"
        }
    }

    /// Whether the file carries an EXIF block (JPEG APP1 `Exif\0\0`): the camera's
    /// output does; a UIImage re-encode does not. Only JPEG is inspected.
    public var hasExif: Bool {
        guard mediaType == "image/jpeg" else { return false }
        let marker: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00]
        let bytes = [UInt8](data.prefix(64 * 1024))
        guard bytes.count > marker.count else { return false }
        for i in 0...(bytes.count - marker.count) where bytes[i..<(i + marker.count)].elementsEqual(marker) {
            return true
        }
        return false
    }
}
